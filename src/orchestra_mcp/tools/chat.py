"""Chat tools and resources: threads, guarded idempotent appends, keyset pages, export and delete."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.chat import (
    AppendResult,
    ChatActor,
    ChatReference,
    ChatScope,
    ChatThread,
    DeleteResult,
    ExportResult,
    MessagePage,
    ProvenanceInput,
    ThreadPage,
)
from orchestra.chat.respond import ChatResponse
from orchestra_mcp.annotations import CALLS_MODEL, CREATES, DESTRUCTIVE, IDEMPOTENT, READ_ONLY
from orchestra_mcp.errors import resource_errors, tool_errors
from orchestra_mcp.progress import run_with_progress
from orchestra_mcp.subscriptions import ResourceSubscriptions

ScopeParam = Annotated[ChatScope, Field(description="The conversation's scope: task_id, run_id, phase and "
                                                    "session_id (tenant_id and workspace_id default to 'local').")]
ActorParam = Annotated[ChatActor, Field(description="Who writes. human needs display_name, source, session_id; "
                                                    "parent_agent needs runtime, session_id; subagent needs runtime, "
                                                    "role, session_id, parent_session_id; provider_agent needs "
                                                    "provider, model, request_id; system needs source; reviewer "
                                                    "needs role, review_id. Session ids must equal the scope's.")]
LimitParam = Annotated[int, Field(description="Page size, 1-100 (out of range is an error).", ge=1, le=100)]
CursorParam = Annotated[str | None, Field(description="next_cursor of the previous page (opaque, bound to this "
                                                      "scope and thread).", max_length=512)]
KindParam = Annotated[Literal["thread", "task", "run"], Field(
    description="What to cover: 'thread' (needs thread_id), 'task' (needs task_id) or 'run' (needs task_id and "
                "run_id).")]
ThreadIdParam = Annotated[str, Field(description="The thread id (thread-...).", max_length=128)]
OptThreadId = Annotated[str | None, Field(description="Thread id, for scope 'thread'.", max_length=128)]
OptTaskId = Annotated[str | None, Field(description="Task id, for scope 'task' or 'run'.", max_length=128)]
OptRunId = Annotated[str | None, Field(description="Run id, for scope 'run'.", max_length=128)]
TenantParam = Annotated[str, Field(description="Tenant id ('local' on one machine).", max_length=128)]
WorkspaceParam = Annotated[str, Field(description="Workspace id ('local' on one machine).", max_length=128)]
ActorIdParam = Annotated[str, Field(description="Who asks (recorded in the audit event).", min_length=1,
                                    max_length=128)]
RoleParam = Annotated[str, Field(description="The asker's role, lowercase, e.g. 'auditor'.", max_length=64)]


def _dump(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False)


def register(server: MCPServer, app: Orchestra, subscriptions: ResourceSubscriptions) -> None:
    """Add the chat tools and resources to ``server``."""

    @server.tool(title="Create a chat thread", annotations=CREATES)
    async def chat_thread_create(
        scope: ScopeParam,
        title: Annotated[str, Field(description="Thread title, 1-200 characters (passes the security guard; "
                                                "secrets are redacted).", max_length=200)],
        actor: ActorParam,
    ) -> ChatThread:
        """Start a conversation thread in a scope (task, run, phase, session). The title is guarded like
        message text. Returns the thread with its id and resource_uri."""
        with tool_errors("chat_thread_create"):
            return await anyio.to_thread.run_sync(lambda: app.chat.create_thread(scope, title, actor))

    @server.tool(title="List chat threads", annotations=READ_ONLY)
    async def chat_threads(scope: ScopeParam, limit: LimitParam = 50, cursor: CursorParam = None) -> ThreadPage:
        """List the threads of exactly this scope, oldest first, a page at a time (keyset cursor)."""
        with tool_errors("chat_threads"):
            return await anyio.to_thread.run_sync(lambda: app.chat.list_threads(scope, limit=limit, cursor=cursor))

    @server.tool(title="Append a chat message", annotations=IDEMPOTENT)
    async def chat_message_append(
        scope: ScopeParam,
        thread_id: ThreadIdParam,
        text: Annotated[str, Field(description="Message text (up to 100,000 characters). Secrets and sensitive "
                                               "personal data are redacted before storage; code, SQL, shell and "
                                               "URLs are stored as written.", max_length=100_000)],
        actor: ActorParam,
        idempotency_key: Annotated[str, Field(description="Required, 1-255 printable ASCII characters. Retrying "
                                                          "with the same key and body returns the same message "
                                                          "(idempotent_replay true); a different body fails with "
                                                          "idempotency_conflict.", max_length=255)],
        content_format: Annotated[Literal["plain_text", "markdown"], Field(
            description="How the text is formatted.")] = "markdown",
        provenance: Annotated[ProvenanceInput | None, Field(
            description="Provider, model, request/response ids, tokens and cost, each figure with its source.")]
        = None,
        references: Annotated[list[ChatReference] | None, Field(
            description="Links to other records (task and run references are added).", max_length=32)] = None,
    ) -> AppendResult:
        """Append a message to a thread. Sequence numbers are contiguous per thread; threads have no length
        limit. Subscribers of the thread's resources are notified."""
        with tool_errors("chat_message_append"):
            result = await anyio.to_thread.run_sync(lambda: app.chat.append_message(
                scope, thread_id, text, actor, idempotency_key, content_format=content_format,
                provenance=provenance, references=references))
        if not result.idempotent_replay:
            await subscriptions.notify(result.thread_uri, result.messages_uri)
        return result

    @server.tool(title="List chat messages", annotations=READ_ONLY)
    async def chat_messages(
        scope: ScopeParam,
        thread_id: ThreadIdParam,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
        include_timeline: Annotated[bool, Field(
            description="Merge the workflow timeline (RUNTIME_/REVIEW_/TASK_ audit events of the scope's task and "
                        "run) by time.")] = False,
    ) -> MessagePage:
        """Read a thread's messages in sequence order, a page at a time. Cursors stay correct while messages
        are appended; a cursor from another scope or thread, or an altered one, fails with invalid_cursor."""
        with tool_errors("chat_messages"):
            return await anyio.to_thread.run_sync(lambda: app.chat.list_messages(
                scope, thread_id, limit=limit, cursor=cursor, include_timeline=include_timeline))

    @server.tool(title="Answer a thread with a model", annotations=CALLS_MODEL)
    async def chat_respond(
        scope: ScopeParam,
        thread_id: ThreadIdParam,
        role: Annotated[str, Field(description="The calling role recorded in the ledger, lowercase.",
                                   max_length=64)] = "assistant",
        provider: Annotated[str | None, Field(description="Provider id ('ollama', 'fake'); default: the "
                                                          "configured provider.", max_length=64)] = None,
        model: Annotated[str | None, Field(description="Model id; default: the configured model.",
                                           max_length=128)] = None,
        max_tokens: Annotated[int | None, Field(description="Cap on reply tokens.", ge=1, le=200_000)] = None,
    ) -> ChatResponse:
        """Send the thread (already redacted) to a model and store the reply as a provider_agent message with
        its provenance. Runs the egress check (restricted content and non-private endpoints are refused
        before any connection), the budget preflight, bounded retries, and records the call in the ledger."""
        with tool_errors("chat_respond"):
            result = await app.responder.respond(scope, thread_id, role=role, provider=provider, model=model,
                                                 max_tokens=max_tokens)
            await subscriptions.notify(result.reply.thread_uri, result.reply.messages_uri)
            return result

    @server.tool(title="Export chat for compliance", annotations=CREATES)
    async def chat_export(
        scope: KindParam,
        actor_id: ActorIdParam,
        actor_role: RoleParam,
        ctx: Context[Any],
        thread_id: OptThreadId = None,
        task_id: OptTaskId = None,
        run_id: OptRunId = None,
        tenant_id: TenantParam = "local",
        workspace_id: WorkspaceParam = "local",
        include_tombstoned: Annotated[bool, Field(
            description="Include deleted messages, shown only as '[deleted]'.")] = False,
    ) -> ExportResult:
        """Export a thread, a task or a run as JSON and Markdown under .agent-workflow/exports/ (redacted only;
        every title and message re-checked by the guard). Returns counts, paths, sha256s and resource URIs;
        reports progress. Recorded in the audit log (counts, never content)."""
        with tool_errors("chat_export"):
            return await run_with_progress(ctx, lambda progress: app.chat.export(
                scope, actor_id=actor_id, actor_role=actor_role, thread_id=thread_id, task_id=task_id,
                run_id=run_id, tenant_id=tenant_id, workspace_id=workspace_id,
                include_tombstoned=include_tombstoned, progress=progress), every=500)

    @server.tool(title="Delete chat (tombstones)", annotations=DESTRUCTIVE)
    async def chat_delete(
        scope: KindParam,
        reason_code: Annotated[str, Field(description="Why, snake_case (e.g. 'user_request', 'retention').",
                                          max_length=64)],
        actor_id: ActorIdParam,
        actor_role: RoleParam,
        thread_id: OptThreadId = None,
        task_id: OptTaskId = None,
        run_id: OptRunId = None,
        tenant_id: TenantParam = "local",
        workspace_id: WorkspaceParam = "local",
    ) -> DeleteResult:
        """Tombstone every message and thread of a thread, task or run: their text is cleared and they are
        left out of exports. A repeat tombstones nothing new. Recorded in the audit log."""
        with tool_errors("chat_delete"):
            return await anyio.to_thread.run_sync(lambda: app.chat.delete(
                scope, actor_id=actor_id, actor_role=actor_role, reason_code=reason_code, thread_id=thread_id,
                task_id=task_id, run_id=run_id, tenant_id=tenant_id, workspace_id=workspace_id))

    @server.resource("orchestra://chat/threads/{thread_id}", name="chat_thread", title="Chat thread",
                     mime_type="application/json")
    def chat_thread_resource(thread_id: str) -> str:
        """One chat thread (JSON). Subscribe to be told when a message is appended."""
        with resource_errors(f"orchestra://chat/threads/{thread_id}"):
            return _dump(app.chat.get_thread(thread_id))

    @server.resource("orchestra://chat/threads/{thread_id}/messages", name="chat_messages",
                     title="Chat messages (first 100)", mime_type="application/json")
    def chat_messages_resource(thread_id: str) -> str:
        """The first 100 messages of a thread and a next_cursor for chat_messages (JSON)."""
        with resource_errors(f"orchestra://chat/threads/{thread_id}/messages"):
            thread = app.chat.get_thread(thread_id)
            return _dump(app.chat.list_messages(thread.scope, thread_id, limit=100))

    @server.resource("orchestra://chat/exports/{name}", name="chat_export", title="Chat export file")
    def chat_export_resource(name: str) -> str:
        """A compliance export written by chat_export (JSON or Markdown text)."""
        with resource_errors(f"orchestra://chat/exports/{name}"):
            return app.chat.compliance.read_export(name)
