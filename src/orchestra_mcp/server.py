"""Building the MCP server for one workspace."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer

from orchestra import __version__
from orchestra.app import Orchestra
from orchestra.errors import ConfigError
from orchestra.workspace.config import TOOL_GROUPS
from orchestra_mcp.subscriptions import ResourceSubscriptions
from orchestra_mcp.tools import (
    capacity,
    chat,
    context,
    delegation,
    ledger,
    providers,
    runtime,
    security,
    tasks,
    workspace,
)

SERVER_NAME = "orchestra"
log = logging.getLogger("orchestra.server")

INSTRUCTIONS = """\
Orchestra governs delegation to sub-agents in this workspace: which tasks exist, \
how many delegated sessions run at once, what context a child receives, and an \
append-only, hash-chained audit log of every change.

Normal flow:
1. workspace_status - confirm the workspace root and see counts.
2. task_next / task_add / task_list / task_get / task_update - pick the next ready \
task (dependencies done, priority first) or register one (the id defaults to T-<n>); \
tasks move with their sessions (spawn: in_progress; failure: blocked; last session \
completed: review).
3. runtime_status - before delegating: which runtime you are in (from your client \
name or the hook's record), whether it can spawn sub-agents and with which native tool.
4. spawn_request {task_id} - ask for a sub-agent (the role defaults to the task's owner \
role, else the configured default). If status is 'requested', launch the child with the \
prompt (prompt_resource or the prompt artifact) and your native tool as parent_action says; \
if 'queued', do not launch yet. With Orchestra's host hooks installed, the host reports \
the child's start and stop; otherwise report session_update 'spawned'/'completed'/'failed'.
5. session_wait - poll (bounded, up to 50 s a call) until the child finishes or a \
session changes status (a queued one became 'requested': launch it now). A child's \
handoff file or final message completes the session; a stop without one fails it.
6. session_get - read the result and timeline. context_bundle previews what a child sees.
7. capacity_snapshot - active leases, queued requests and quotas (why a spawn was queued).
"""

GROUP_INSTRUCTIONS = {
    "security": "content_scan / egress_check - check text for secrets and personal data before it goes "
                "somewhere, and whether messages may leave for a model provider.\n",
    "ledger": "usage_record / usage_report / budget_check / model_aliases / provider_complete - record model "
              "calls, read usage, check budgets, call a configured local model through the guarded path.\n",
    "chat": "chat_thread_create / chat_message_append / chat_messages / chat_respond - keep the conversation "
            "with a sub-agent (secrets redacted before storage); chat_export and chat_delete for compliance.\n",
}
CLOSING = ("Every tool returns structured results; errors start with a stable code such as task_exists or "
           "invalid_input and change nothing.\n")


def parse_groups(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Validated tool groups (``core`` always included), e.g. from ``--tools chat,ledger`` or ``all``."""
    items = [p.strip().lower() for p in (raw.split(",") if isinstance(raw, str) else raw) if p.strip()]
    if "all" in items:
        return TOOL_GROUPS
    unknown = [g for g in items if g not in TOOL_GROUPS]
    if unknown:
        raise ConfigError(f"unknown tool group(s) {', '.join(unknown)}; choose from {', '.join(TOOL_GROUPS)} or all")
    return tuple(g for g in TOOL_GROUPS if g == "core" or g in items)


def instructions_for(groups: Iterable[str]) -> str:
    """The server instructions for the enabled groups."""
    extra = [GROUP_INSTRUCTIONS[g] for g in ("security", "ledger", "chat") if g in groups]
    return INSTRUCTIONS + "".join(extra) + CLOSING


def settle_before_tools(app: Orchestra) -> Any:
    """Middleware: before every tool call, settle what host hooks and children left (pending stop
    reports, handoff files), so a finished child frees its slot on the next call of any tool."""

    async def settle_first(ctx: Any, call_next: Any) -> Any:
        if ctx.method == "tools/call":
            try:
                await anyio.to_thread.run_sync(app.delegation.settle_reports)
            except Exception:  # never fail the caller's tool because of someone else's report
                log.exception("settling pending lifecycle reports failed")
        return await call_next(ctx)

    return settle_first


def create_server(app: Orchestra, groups: Iterable[str] = TOOL_GROUPS) -> MCPServer:
    """An MCP server whose tools and resources act on ``app``'s workspace, with the given tool groups."""
    enabled = parse_groups(groups)
    server = MCPServer(SERVER_NAME, version=__version__, instructions=instructions_for(enabled),
                       middleware=[settle_before_tools(app)])
    workspace.register(server, app)
    tasks.register(server, app)
    runtime.register(server, app)
    delegation.register(server, app)
    context.register(server, app)
    capacity.register(server, app)
    if "security" in enabled:
        security.register(server, app)
    if "ledger" in enabled:
        ledger.register(server, app)
        providers.register(server, app)
    if "chat" in enabled:
        subscriptions = ResourceSubscriptions()
        subscriptions.install(server)
        chat.register(server, app, subscriptions)
    return server
