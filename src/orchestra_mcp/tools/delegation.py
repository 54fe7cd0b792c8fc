"""Delegation tools: spawn_request, session_update, session_get, session_list, session_wait; session resources."""

from __future__ import annotations

import functools
import time
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.delegation.lifecycle import SessionStatus, UpdateStatus
from orchestra.delegation.requests import SessionDetail, SessionList, SpawnResult, UpdateResult, WaitResult
from orchestra_mcp.annotations import CREATES, IDEMPOTENT
from orchestra_mcp.errors import resource_errors, tool_errors

MAX_WAIT_S = 50.0
POLL_S = 0.25

SessionId = Annotated[str, Field(description="The session handle returned by spawn_request.", max_length=300)]


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
    def spawn_request(
        task_id: Annotated[str, Field(description="The task the child will work on (see task_list).",
                                      max_length=64)],
        ctx: Context[Any],
        role: Annotated[str | None, Field(description="The child's role, lowercase (default: the task's owner "
                                                      "role).", max_length=64)] = None,
        phase: Annotated[str | None, Field(description="Workflow phase, lowercase (default: the role).",
                                           max_length=64)] = None,
        run_id: Annotated[str | None, Field(description="Your workflow run id, if any.", max_length=64)] = None,
        runtime: Annotated[str | None, Field(description="Runtime that launches the child (e.g. 'claude-cli', "
                                                         "'codex-cli', 'cursor-cli'); default: configured or "
                                                         "inferred from your client.", max_length=64)] = None,
        brief: Annotated[str | None, Field(description="What you want the child to do, beyond the task's goal "
                                                       "(secrets are redacted).", max_length=8000)] = None,
        ownership_paths: Annotated[list[str] | None, Field(
            description="Extra workspace-relative paths the child owns and gets in its context.",
            max_length=100)] = None,
        depth: Annotated[int, Field(description="Delegation depth: 0 for a child of the top-level agent.",
                                    ge=0, le=16)] = 0,
        idempotency_key: Annotated[str | None, Field(
            description="8-128 chars [A-Za-z0-9._:-]; retrying with the same key returns the same session.",
            max_length=128)] = None,
        tenant_id: Annotated[str | None, Field(
            description="Capacity scope: your tenant id (required when capacity runs in SaaS mode).",
            max_length=128)] = None,
        workspace_id: Annotated[str | None, Field(
            description="Capacity scope: your workspace id within the tenant (required in SaaS mode).",
            max_length=128)] = None,
    ) -> SpawnResult:
        """Ask for a delegated sub-agent. Orchestra checks the guardrails (at most 3 sessions at once in the
        workspace by default) and the capacity quotas (capacity_snapshot) in one transaction, then admits
        (status 'requested': launch the child now with your native tool, following parent_action), queues
        ('queued': wait, do not launch) or rejects (nothing written). It writes the child prompt with a
        bounded, redacted context bundle and returns the session handle. This
        call never waits for the child: report its lifecycle with session_update and poll with session_wait."""
        with tool_errors("spawn_request"):
            return app.delegation.spawn({
                "task_id": task_id, "role": role, "phase": phase, "run_id": run_id, "runtime": runtime,
                "brief": brief, "ownership_paths": ownership_paths or [], "depth": depth,
                "idempotency_key": idempotency_key, "tenant_id": tenant_id, "workspace_id": workspace_id,
            }, client_name=client_name(ctx))

    @server.tool(title="Report a session's lifecycle", annotations=IDEMPOTENT)
    def session_update(
        session_id: SessionId,
        status: Annotated[UpdateStatus, Field(description="spawned (child started), active (heartbeat), "
                                                          "completed, failed, timed_out, canceled, closed, "
                                                          "suspended or resumed.")],
        agent_id: Annotated[str | None, Field(description="The child's id in its runtime.", max_length=200)] = None,
        artifact: Annotated[str | None, Field(description="Workspace-relative handoff file under .agent-workflow/ "
                                                          "(needed for completed unless result is given).",
                                              max_length=1024)] = None,
        result: Annotated[dict[str, Any] | None, Field(description="Structured result instead of a handoff file: "
                                                                   "must include 'summary'.")] = None,
        summary: Annotated[str | None, Field(description="Short, safe summary (e.g. why it failed).",
                                             max_length=8000)] = None,
    ) -> UpdateResult:
        """Record a step in a delegated session's life. Transitions are validated (the error lists the
        allowed next statuses); repeating the same report returns the earlier step (replayed=true), so
        retries are safe. 'active' is the heartbeat that keeps a session from timing out. 'completed'
        checks the handoff against the return contract and redacts secrets. Finishing frees a slot and
        promotes queued requests (listed in 'promoted')."""
        with tool_errors("session_update"):
            return app.delegation.update({"session_id": session_id, "status": status, "agent_id": agent_id,
                                          "artifact": artifact, "result": result, "summary": summary})

    @server.tool(title="Get a session", annotations=IDEMPOTENT)
    def session_get(session_id: SessionId) -> SessionDetail:
        """One delegated session: status, artifacts, redacted result and the full timeline of lifecycle steps,
        with the updates it accepts next."""
        with tool_errors("session_get"):
            return app.delegation.get(session_id)

    @server.tool(title="List sessions", annotations=IDEMPOTENT)
    def session_list(
        task_id: Annotated[str | None, Field(description="Only this task's sessions.", max_length=64)] = None,
        status: Annotated[SessionStatus | None, Field(description="Only sessions in this status.")] = None,
        include_closed: Annotated[bool, Field(description="Include closed sessions.")] = False,
        limit: Annotated[int, Field(description="At most this many sessions, newest first (1-500).",
                                    ge=1, le=500)] = 100,
    ) -> SessionList:
        """Delegated sessions, newest first, with counts (active, suspended, queued, terminal, stale) against
        the workspace's concurrency limit. Overdue sessions are timed out first."""
        with tool_errors("session_list"):
            return app.delegation.list_sessions(task_id=task_id, status=status, include_closed=include_closed,
                                                limit=limit)

    @server.tool(title="Wait for sessions", annotations=IDEMPOTENT)
    async def session_wait(
        session_ids: Annotated[list[str], Field(description="Session handles to wait for (1-50).",
                                                min_length=1, max_length=50)],
        ctx: Context[Any],
        mode: Annotated[Literal["any", "all"], Field(description="Return when any, or all, have finished.")] = "any",
        timeout_s: Annotated[float, Field(description="Give up after this many seconds (0-50); call again to "
                                                      "keep waiting.", ge=0, le=MAX_WAIT_S)] = 30.0,
    ) -> WaitResult:
        """Wait (bounded) until any or all of the given sessions reach a final status (completed, failed,
        timed_out, canceled, closed), or until one of them changes status (listed in 'changed'; a queued
        session that became 'requested' must be launched now). Host hooks and handoff files are settled
        while waiting. Sends progress; timed_out=true means nothing happened: call again."""
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
