"""MCP prompts for the common flows (hosts show them as slash commands): delegate, review, export."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field


def register(server: MCPServer) -> None:
    """Add the prompts to ``server``."""

    @server.prompt(name="delegate", title="Delegate a task to a sub-agent")
    def delegate(
        task_id: Annotated[str, Field(description="The task to delegate (see task_list).", max_length=64)],
        brief: Annotated[str, Field(description="What the child should do beyond the task's goal.",
                                    max_length=2000)] = "",
    ) -> str:
        """Walk through one delegation: runtime check, spawn, launch, wait, read the result."""
        extra = f'\nPass brief: "{brief}".' if brief.strip() else ""
        return (
            f"Delegate task {task_id} to a sub-agent with the orchestra tools.\n"
            "1. Call runtime_status: confirm you can spawn sub-agents and which native tool launches one.\n"
            f"2. Call spawn_request with task_id \"{task_id}\".{extra}\n"
            "3. If status is 'requested', read the child prompt (prompt_resource), launch the child with your "
            "native tool as parent_action says, then call session_update with status 'spawned'. If 'queued', "
            "do not launch; call session_wait and try again when a slot frees.\n"
            "4. Call session_wait with the session id until it finishes (call again on timed_out).\n"
            "5. Call session_get and summarise the child's result and any failed checks."
        )

    @server.prompt(name="review_sessions", title="Review delegated sessions")
    def review_sessions(
        task_id: Annotated[str, Field(description="Only this task's sessions; all when empty.",
                                      max_length=64)] = "",
    ) -> str:
        """Review the delegated sessions: what is running, queued, stale or failed, and what to do."""
        which = f' with task_id "{task_id}"' if task_id.strip() else ""
        return (
            f"Review the delegated sessions{which} with the orchestra tools.\n"
            f"1. Call session_list{which} and report the counts against the concurrency limit.\n"
            "2. For each failed, timed_out or stale session call session_get and say why it stopped.\n"
            "3. Call capacity_snapshot if anything is queued, and say what it waits for.\n"
            "4. Recommend the next step for each session (wait, retry with spawn_request, or close it with "
            "session_update status 'closed')."
        )

    @server.prompt(name="export_thread", title="Export a chat thread for compliance")
    def export_thread(
        thread_id: Annotated[str, Field(description="The thread to export (thread-...).", max_length=128)],
    ) -> str:
        """Export one chat thread (redacted JSON and Markdown) and report where it was written."""
        return (
            f"Export chat thread {thread_id} for compliance with the orchestra tools.\n"
            "1. If chat tools are not listed, call tool_groups with enable 'chat'.\n"
            f"2. Call chat_export with scope 'thread' and thread_id \"{thread_id}\".\n"
            "3. Report the message count, the JSON and Markdown paths and their sha256, and how many messages "
            "carried restricted data (never their content)."
        )
