"""Delegation tools: spawn_request, session_update, session_get, session_list, session_wait; session resources."""

from __future__ import annotations

import functools
import time
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import InputRequiredResult
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.delegation.lifecycle import SessionStatus, UpdateStatus
from orchestra.delegation.requests import SessionDetail, SessionList, SpawnResult, UpdateResult, WaitResult
from orchestra_mcp.annotations import CREATES, IDEMPOTENT
from orchestra_mcp.approvals import with_approval
from orchestra_mcp.errors import resource_errors, tool_errors

MAX_WAIT_S = 50.0
POLL_S = 0.25

SessionId = Annotated[str, Field(description="Session handle from spawn_request.", max_length=300)]


def client_name(ctx: Context[Any]) -> str | None:
    """The MCP client's self-reported name (e.g. 'claude-code'), when known."""
    try:
        params = ctx.session.client_params
        return params.client_info.name if params is not None else None
    except (AttributeError, LookupError, RuntimeError):
        return None


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the delegation tools and resources to ``server``."""

    @server.tool(title="Request a sub-agent", annotations=CREATES)
    async def spawn_request(
        task_id: Annotated[str, Field(description="Task the child works on.", max_length=64)],
        ctx: Context[Any],
        role: Annotated[str | None, Field(description="Default: the task's owner role.",
                                                      max_length=64)] = None,
        phase: Annotated[str | None, Field(description="Default: the role.", max_length=64)] = None,
        run_id: Annotated[str | None, Field(description="Your run id.", max_length=64)] = None,
        runtime: Annotated[str | None, Field(description="e.g. 'claude-cli' (default: yours).",
                                                         max_length=64)] = None,
        brief: Annotated[str | None, Field(description="What to do beyond the task's goal.",
                                                       max_length=8000)] = None,
        ownership_paths: Annotated[list[str] | None, Field(
            description="Extra paths the child owns.",
            max_length=100)] = None,
        depth: Annotated[int, Field(description="0 for a child of the top-level agent.",
                                    ge=0, le=16)] = 0,
        idempotency_key: Annotated[str | None, Field(
            description="Retry key (8-128 of A-Za-z0-9._:-).",
            max_length=128)] = None,
    ) -> SpawnResult | InputRequiredResult:
        """Ask for a sub-agent. 'requested': launch it as parent_action says; 'queued': not yet. Never
        waits."""
        with tool_errors("spawn_request"):
            return await with_approval(ctx, app, lambda approval: app.delegation.spawn({
                "task_id": task_id, "role": role, "phase": phase, "run_id": run_id, "runtime": runtime,
                "brief": brief, "ownership_paths": ownership_paths or [], "depth": depth,
                "idempotency_key": idempotency_key,  # tenant and workspace: the principal's (hosted mode)
            }, client_name=client_name(ctx), approval=approval))

    @server.tool(title="Report a session's lifecycle", annotations=IDEMPOTENT)
    def session_update(
        session_id: SessionId,
        status: Annotated[UpdateStatus, Field(description="'active' is the heartbeat.")],
        agent_id: Annotated[str | None, Field(description="Child's id in its runtime.", max_length=200)] = None,
        artifact: Annotated[str | None, Field(description="Handoff file under .agent-workflow/ (completed).",
                                              max_length=1024)] = None,
        result: Annotated[dict[str, Any] | None, Field(description="Instead of artifact; needs 'summary'.")] = None,
        summary: Annotated[str | None, Field(description="Short summary (e.g. why it failed).",
                                             max_length=8000)] = None,
    ) -> UpdateResult:
        """Report a session step (checked; a repeat replays). Finishing frees a slot."""
        with tool_errors("session_update"):
            return app.delegation.update({"session_id": session_id, "status": status, "agent_id": agent_id,
                                          "artifact": artifact, "result": result, "summary": summary})

    @server.tool(title="Get a session", annotations=IDEMPOTENT)
    def session_get(session_id: SessionId) -> SessionDetail:
        """One session: status, artifacts, result, timeline, allowed next updates."""
        with tool_errors("session_get"):
            return app.delegation.get(session_id)

    @server.tool(title="List sessions", annotations=IDEMPOTENT)
    def session_list(
        task_id: Annotated[str | None, Field(description="Only this task.", max_length=64)] = None,
        status: Annotated[SessionStatus | None, Field(description="Only this status.")] = None,
        include_closed: Annotated[bool, Field(description="Include closed sessions.")] = False,
        limit: Annotated[int, Field(description="At most this many.",
                                    ge=1, le=500)] = 100,
    ) -> SessionList:
        """Sessions, newest first, with counts against the limit (overdue ones time out)."""
        with tool_errors("session_list"):
            return app.delegation.list_sessions(task_id=task_id, status=status, include_closed=include_closed,
                                                limit=limit)

    @server.tool(title="Wait for sessions", annotations=IDEMPOTENT)
    async def session_wait(
        session_ids: Annotated[list[str], Field(description="Session handles.",
                                                min_length=1, max_length=50)],
        ctx: Context[Any],
        mode: Annotated[Literal["any", "all"], Field(description="Return when any or all finished.")] = "any",
        timeout_s: Annotated[float, Field(description="Seconds; call again to keep waiting.",
                                                      ge=0, le=MAX_WAIT_S)] = 30.0,
    ) -> WaitResult:
        """Wait until sessions finish or change status ('changed': launch a newly 'requested' one).
        timed_out=true: call again."""
        with tool_errors("session_wait"):
            started = time.monotonic()
            baseline: dict[str, str] | None = None
            while True:
                waited = time.monotonic() - started
                final = waited >= timeout_s
                state = await anyio.to_thread.run_sync(
                    functools.partial(app.delegation.wait_check, session_ids, mode, waited, final, baseline))
                if state.done or final or state.changed:
                    return state
                if baseline is None:
                    baseline = {s.session_id: s.status for s in state.sessions}
                await ctx.report_progress(round(waited, 1), timeout_s,
                                          f"{len(state.finished)} of {len(session_ids)} finished")
                await anyio.sleep(min(POLL_S, max(0.0, timeout_s - waited)))

    @server.resource("orchestra://sessions/{session_id}", name="session", title="Delegated session",
                     mime_type="application/json")
    def session_resource(session_id: str) -> str:
        """A delegated session with its timeline, as JSON."""
        with resource_errors(f"orchestra://sessions/{session_id}"):
            return app.delegation.get(session_id).model_dump_json(indent=2)

    @server.resource("orchestra://sessions/{session_id}/prompt", name="session-prompt",
                     title="Child prompt of a session", mime_type="text/markdown")
    def session_prompt(session_id: str) -> str:
        """The child prompt to hand to the sub-agent (Markdown)."""
        with resource_errors(f"orchestra://sessions/{session_id}/prompt"):
            return app.delegation.prompt_text(session_id)
