"""Building the MCP server for one workspace.

Only the groups that are on are imported: a group turned on later (``tool_groups``) is imported and
registered then, and the server sends ``notifications/tools/list_changed``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread

from orchestra import __version__
from orchestra.app import Orchestra
from orchestra.workspace.config import TOOL_GROUPS
from orchestra_mcp.client_log import ClientLog
from orchestra_mcp.groups import GROUP_PURPOSE, OPTIONAL_GROUPS, parse_groups
from orchestra_mcp.surface import OrchestraServer
from orchestra_mcp.tools import capacity, context, delegation, runtime, tasks, workspace

__all__ = ["INSTRUCTIONS", "SERVER_NAME", "create_server", "instructions_for", "parse_groups"]

SERVER_NAME = "orchestra"
log = logging.getLogger("orchestra.server")

INSTRUCTIONS = """\
Orchestra governs delegation to sub-agents in this workspace: tasks, how many delegated sessions run \
at once, what context a child receives, and a hash-chained audit log.
Flow: workspace_status -> task_next or task_add (id defaults to T-<n>) -> runtime_status (can you spawn, \
with which native tool) -> spawn_request {task_id} (status 'requested': launch the child as parent_action \
says; 'queued': not yet) -> with Orchestra's host hooks the host reports the child's start and stop, \
otherwise session_update 'spawned'/'completed'/'failed' -> session_wait (wakes on any status change) -> \
session_get. Tasks move with their sessions (task_update edits them). context_bundle previews a child's \
context; capacity_snapshot says why a spawn was queued.
"""

CLOSING = (
    "Results are structured; absent fields are null or their default. An error starts with a stable code "
    "and changes nothing; a bad argument is one line 'invalid_input: <argument>: <what is wrong, with the "
    "allowed range or values>' (unknown arguments are refused, with the accepted names; true is not a number). "
    "'approval_required: … approval id <id>' means a person must decide: tell the user what you asked for and "
    "the id, ask them to run 'orchestra approve <id>' in their own terminal, then repeat the same call. Never "
    "run orchestra approve yourself.\n"
)


def instructions_for(groups: Iterable[str]) -> str:
    """The server instructions: the flow, the groups that are on and off, how to turn one on."""
    enabled = set(groups)
    on = [g for g in TOOL_GROUPS if g in enabled and g != "core"]
    off = [g for g in OPTIONAL_GROUPS if g not in enabled]
    lines = [INSTRUCTIONS]
    if on:
        lines.append("Also on: " + "; ".join(f"{g} ({GROUP_PURPOSE[g]})" for g in on) + ".\n")
    if off:
        lines.append("Off: " + "; ".join(f"{g} ({GROUP_PURPOSE[g]})" for g in off)
                     + '. Turn one on with tool_groups {"enable": "<group>"}; its tools then appear.\n')
    return "".join(lines) + CLOSING


def settle_before_tools(app: Orchestra, client_log: ClientLog) -> Any:
    """Middleware: before every tool call, settle what host hooks and children left (pending stop
    reports, handoff files), so a finished child frees its slot on the next call of any tool; the
    caller hears of the sessions settled so through an ``info`` log notification."""

    async def settle_first(ctx: Any, call_next: Any) -> Any:
        if ctx.method == "tools/call" and app.initialized:
            settled: list[str] = []
            try:
                settled = await anyio.to_thread.run_sync(app.delegation.settle_reports)
            except Exception:  # never fail the caller's tool because of someone else's report
                log.exception("settling pending lifecycle reports failed")
            if settled:
                await client_log.send(ctx, "info", settled_message(settled))
        return await call_next(ctx)

    return settle_first


def settled_message(session_ids: list[str]) -> str:
    """The log line naming sessions that finished without a ``session_update``."""
    return (f"Settled from host hooks or handoff files: {', '.join(session_ids)}. "
            "session_get shows each one's status and result.")


def error_scrubber(app: Orchestra) -> Callable[[str], str]:
    """Redaction for the texts of tool and resource errors: they can quote what the caller sent."""

    def scrub(text: str) -> str:
        try:
            return app.guard.redact(text)
        except Exception:
            return "internal_error: the error text could not be checked; details are in the server log"

    return scrub


def _registrar(app: Orchestra, server: OrchestraServer, group: str) -> Callable[[], None]:
    """Import and register one optional group (``ledger`` also brings the provider tools)."""

    def register() -> None:
        if group == "chat":
            chat = importlib.import_module("orchestra_mcp.tools.chat")
            chat.register(server, app, server.subscriptions)
            return
        modules = ("ledger", "providers") if group == "ledger" else (group,)
        for name in modules:
            importlib.import_module(f"orchestra_mcp.tools.{name}").register(server, app)

    return register


def create_server(app: Orchestra, groups: Iterable[str] = TOOL_GROUPS) -> OrchestraServer:
    """An MCP server whose tools and resources act on ``app``'s workspace, with the given tool groups on."""
    enabled = parse_groups(groups)
    scrub = error_scrubber(app)
    client_log = ClientLog(scrub)
    server = OrchestraServer(SERVER_NAME, version=__version__, instructions=instructions_for(enabled),
                             middleware=[settle_before_tools(app, client_log)], scrub=scrub,
                             client_log=client_log)
    workspace.register(server, app)
    tasks.register(server, app)
    runtime.register(server, app)
    delegation.register(server, app)
    context.register(server, app)
    capacity.register(server, app)
    for group in OPTIONAL_GROUPS:
        server.add_group(group, _registrar(app, server, group))
    for group in enabled:
        if group != "core":
            server.enable_group(group)
    importlib.import_module("orchestra_mcp.prompts").register(server)
    return server
