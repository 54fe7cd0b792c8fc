"""Chat tools and resources: threads, guarded idempotent appends, keyset pages, export and delete."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import InputRequiredResult
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.chat.calls import GENERIC_RUNTIME, ActorInput, Caller, StatedProvenance
from orchestra.chat.model import DeleteResult, ExportResult
from orchestra.chat.records import ChatReference
from orchestra.chat.respond import ChatReply
from orchestra.chat.views import (
    AppendView,
    MessagePageView,
    ThreadPageView,
    ThreadView,
    append_view,
    message_page_view,
    thread_page_view,
    thread_view,
)
from orchestra.runtime.inference import client_runtime
from orchestra_mcp.annotations import CALLS_MODEL, CREATES, DESTRUCTIVE, IDEMPOTENT, READ_ONLY
from orchestra_mcp.approvals import with_approval
from orchestra_mcp.errors import resource_errors, tool_errors
from orchestra_mcp.progress import run_with_progress
from orchestra_mcp.subscriptions import ResourceSubscriptions
from orchestra_mcp.tools.runtime import client_identity

LOCAL = "local"  # tenant and workspace: from the principal (hosted mode), never from arguments
ActorParam = Annotated[ActorInput | None, Field(description="Who writes (default: you, as parent_agent).")]
LimitParam = Annotated[int, Field(description="Page size.", ge=1, le=100)]
CursorParam = Annotated[str | None, Field(description="next_cursor of the previous page.", max_length=512)]
KindParam = Annotated[Literal["thread", "task", "run"], Field(
    description="What the call covers: a thread (thread_id), a task (task_id) or a run (task_id, run_id).")]
ThreadIdParam = Annotated[str, Field(description="Thread id (thread-...).", max_length=128)]
OptThreadId = Annotated[str | None, Field(description="For scope 'thread'.", max_length=128)]
OptTaskId = Annotated[str | None, Field(description="For scope 'task' or 'run'.", max_length=128)]
OptRunId = Annotated[str | None, Field(description="For scope 'run'.", max_length=128)]
ActorIdParam = Annotated[str | None, Field(description="Who asks, for the audit log (default: you).", min_length=1,
                                           max_length=128)]
RoleParam = Annotated[str | None, Field(description="The asker's role (default: parent_agent).", max_length=64)]


def _dump(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)


def caller(ctx: Context[Any]) -> Caller:
    """The calling client as a chat caller: its runtime (from clientInfo) and this server's session."""
    name, _ = client_identity(ctx)
    runtime = client_runtime(name) or GENERIC_RUNTIME
    return Caller(runtime=runtime, session_id=f"mcp-{runtime}-{os.getpid()}")


def register(server: MCPServer, app: Orchestra, subscriptions: ResourceSubscriptions) -> None:
    """Add the chat tools and resources to ``server``."""

    @server.tool(title="Create a chat thread", annotations=CREATES)
    async def chat_thread_create(
        title: Annotated[str, Field(description="Thread title (secrets are redacted).", max_length=200)],
        task_id: Annotated[str, Field(description="The task the conversation is about.", max_length=128)],
        ctx: Context[Any],
        run_id: Annotated[str | None, Field(description="Run id (default 'manual').", max_length=128)] = None,
        phase: Annotated[str | None, Field(description="Phase (default: the task's role).", max_length=128)] = None,
        session_id: Annotated[str | None, Field(description="Owning session (default: yours).",
                                                max_length=128)] = None,
        actor: ActorParam = None,
    ) -> ThreadView:
        """Start a conversation about a task; the thread carries its scope, so later calls need only its id."""
        who = caller(ctx)
        with tool_errors("chat_thread_create"):
            return thread_view(await anyio.to_thread.run_sync(lambda: app.chat_calls.create(
                title, task_id, who, run_id=run_id, phase=phase, session_id=session_id, actor=actor)))

    @server.tool(title="List chat threads", annotations=READ_ONLY)
    async def chat_threads(
        task_id: Annotated[str, Field(description="The task's threads.", max_length=128)],
        run_id: Annotated[str | None, Field(description="Only this run.", max_length=128)] = None,
        limit: LimitParam = 50, cursor: CursorParam = None,
    ) -> ThreadPageView:
        """A task's threads, oldest first, a page at a time."""
        with tool_errors("chat_threads"):
            return thread_page_view(await anyio.to_thread.run_sync(lambda: app.chat_calls.threads(
                task_id, run_id=run_id, limit=limit, cursor=cursor)))

    @server.tool(title="Append a chat message", annotations=IDEMPOTENT)
    async def chat_message_append(
        thread_id: ThreadIdParam,
        text: Annotated[str, Field(description="Message text; secrets and personal data are redacted before "
                                               "storage, code/SQL/URLs kept.", max_length=100_000)],
        ctx: Context[Any],
        actor: ActorParam = None,
        idempotency_key: Annotated[str | None, Field(
            description="Retry key: same key and body replays; another body is idempotency_conflict.",
            max_length=255)] = None,
        content_format: Annotated[Literal["plain_text", "markdown"], Field(description="Text format.")]
        = "markdown",
        provenance: Annotated[StatedProvenance | None, Field(
            description="For model output: provider, model, ids, tokens, cost.")]
        = None,
        references: Annotated[list[ChatReference] | None, Field(description="Links to other records.",
                                                                max_length=32)] = None,
    ) -> AppendView:
        """Append a message to a thread (contiguous sequence numbers); subscribers are notified."""
        who = caller(ctx)
        with tool_errors("chat_message_append"):
            result = await anyio.to_thread.run_sync(lambda: app.chat_calls.append(
                thread_id, text, who, actor=actor, idempotency_key=idempotency_key, content_format=content_format,
                provenance=provenance,
                references=references))
        if not result.idempotent_replay:
            await subscriptions.notify(result.thread_uri, result.messages_uri)
        return append_view(result)

    @server.tool(title="List chat messages", annotations=READ_ONLY)
    async def chat_messages(
        thread_id: ThreadIdParam,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
        include_timeline: Annotated[bool, Field(
            description="Merge the task's and run's workflow events by time.")] = False,
    ) -> MessagePageView:
        """A thread's messages in order, a page at a time (cursors stay valid while messages are added)."""
        with tool_errors("chat_messages"):
            return message_page_view(await anyio.to_thread.run_sync(lambda: app.chat_calls.messages(
                thread_id, limit=limit, cursor=cursor, include_timeline=include_timeline)))

    @server.tool(title="Answer a thread with a model", annotations=CALLS_MODEL)
    async def chat_respond(
        thread_id: ThreadIdParam,
        role: Annotated[str, Field(description="Your role, for the ledger.", max_length=64)] = "assistant",
        provider: Annotated[str | None, Field(description="'ollama' or 'fake' (default: configured).",
                                              max_length=64)] = None,
        model: Annotated[str | None, Field(description="Default: configured.", max_length=128)] = None,
        max_tokens: Annotated[int | None, Field(description="Reply token cap.", ge=1, le=200_000)] = None,
    ) -> ChatReply:
        """Send the thread to a model and store the reply. History goes as untrusted data: code, SQL and
        URLs pass, restricted data is redacted, an injection message is left out (left_out)."""
        with tool_errors("chat_respond"):
            result = await app.responder.respond(None, thread_id, role=role, provider=provider, model=model,
                                                 max_tokens=max_tokens)
            await subscriptions.notify(result.reply.thread_uri, result.reply.messages_uri)
            return ChatReply.of(result)

    @server.tool(title="Export chat for compliance", annotations=CREATES)
    async def chat_export(
        scope: KindParam,
        ctx: Context[Any],
        actor_id: ActorIdParam = None,
        actor_role: RoleParam = None,
        thread_id: OptThreadId = None,
        task_id: OptTaskId = None,
        run_id: OptRunId = None,
        include_tombstoned: Annotated[bool, Field(
            description="Include deleted messages as '[deleted]'.")] = False,
    ) -> ExportResult:
        """Export a thread, task or run (redacted) as JSON and Markdown under .agent-workflow/exports/;
        returns counts, paths and sha256s."""
        who = caller(ctx)
        with tool_errors("chat_export"):
            return await run_with_progress(ctx, lambda progress: app.chat_calls.export(
                scope, who, actor_id=actor_id, actor_role=actor_role, thread_id=thread_id, task_id=task_id,
                run_id=run_id, tenant_id=LOCAL, workspace_id=LOCAL,
                include_tombstoned=include_tombstoned, progress=progress), every=500)

    @server.tool(title="Delete chat (tombstones)", annotations=DESTRUCTIVE)
    async def chat_delete(
        scope: KindParam,
        reason_code: Annotated[str, Field(description="Why, snake_case (e.g. 'user_request').", max_length=64)],
        ctx: Context[Any],
        actor_id: ActorIdParam = None,
        actor_role: RoleParam = None,
        thread_id: OptThreadId = None,
        task_id: OptTaskId = None,
        run_id: OptRunId = None,
    ) -> DeleteResult | InputRequiredResult:
        """Tombstone a thread, task or run: text cleared, left out of exports; a repeat changes nothing.
        Audited."""
        who = caller(ctx)
        with tool_errors("chat_delete"):
            return await with_approval(ctx, app, lambda approval: app.chat_calls.delete(
                scope, who, actor_id=actor_id, actor_role=actor_role, reason_code=reason_code, thread_id=thread_id,
                task_id=task_id, run_id=run_id, tenant_id=LOCAL, workspace_id=LOCAL, approval=approval))

    @server.resource("orchestra://chat/threads/{thread_id}", name="chat_thread", title="Chat thread",
                     mime_type="application/json")
    def chat_thread_resource(thread_id: str) -> str:
        """One chat thread (JSON). Subscribe to be told when a message is appended."""
        with resource_errors(f"orchestra://chat/threads/{thread_id}"):
            return _dump(thread_view(app.chat.get_thread(thread_id)))

    @server.resource("orchestra://chat/threads/{thread_id}/messages", name="chat_messages",
                     title="Chat messages (first 100)", mime_type="application/json")
    def chat_messages_resource(thread_id: str) -> str:
        """The first 100 messages of a thread and a next_cursor for chat_messages (JSON)."""
        with resource_errors(f"orchestra://chat/threads/{thread_id}/messages"):
            return _dump(message_page_view(app.chat_calls.messages(thread_id, limit=100)))

    @server.resource("orchestra://chat/exports/{name}", name="chat_export", title="Chat export file")
    def chat_export_resource(name: str) -> str:
        """A compliance export written by chat_export (JSON or Markdown text)."""
        with resource_errors(f"orchestra://chat/exports/{name}"):
            return app.chat.compliance.read_export(name)
