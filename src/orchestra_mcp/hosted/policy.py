"""The scope check every hosted MCP request passes (server middleware, so arguments are never trusted).

The principal is the one the HTTP layer authenticated for *this* request (attached to the ASGI scope);
which scope a tool needs comes from the tool's own annotations through
:func:`orchestra.hosted.principal.required_scope`.
"""

from __future__ import annotations

from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST

from orchestra.hosted.errors import ForbiddenError
from orchestra.hosted.principal import Principal, Scope, required_scope
from orchestra_mcp.errors import format_error
from orchestra_mcp.surface import OrchestraServer, tool_error

PRINCIPAL_KEY = "orchestra.principal"
"""Where the HTTP layer puts the request's :class:`Principal` in the ASGI scope."""


def request_principal(ctx: Any) -> Principal | None:
    """The principal of the HTTP request that carried this message (None: no HTTP request)."""
    request = getattr(ctx, "request", None)
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None
    principal = scope.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None


def needed_scope(server: OrchestraServer, name: str, arguments: dict[str, Any]) -> Scope:
    """The scope a call of tool ``name`` needs, from its annotations (unknown tools: read; the server
    answers them with an error that changes nothing)."""
    if name == "tool_groups" and not arguments.get("enable"):
        return Scope.READ  # listing the groups reads; turning one on changes the shared server
    tool = server._tool_manager.get_tool(name)
    if tool is None:
        return Scope.READ
    hints = tool.annotations
    read_only = bool(hints is not None and hints.read_only_hint)
    destructive = bool(hints is not None and hints.destructive_hint)
    return required_scope(read_only=read_only, destructive=destructive)


def principal_guard(server: OrchestraServer) -> Any:
    """Middleware: refuse a message without a principal; refuse a tool call beyond the principal's scope
    with the coded tool error ``forbidden``."""

    async def check_principal(ctx: Any, call_next: Any) -> Any:
        principal = request_principal(ctx)
        if principal is None:
            raise MCPError(code=INVALID_REQUEST, message="unauthorized: this server needs an authenticated request")
        if ctx.method == "tools/call":
            params = ctx.params or {}
            name = str(params.get("name", ""))
            arguments = params.get("arguments") or {}
            try:
                principal.require(needed_scope(server, name, arguments if isinstance(arguments, dict) else {}),
                                  f"tool {name[:64]}")
            except ForbiddenError as exc:
                return tool_error(format_error(exc))
        return await call_next(ctx)

    return check_principal


def install_guard(server: OrchestraServer) -> None:
    """Put the principal check before Orchestra's own middleware (so a refused call settles nothing)."""
    chain = server.middleware
    index = next((i for i, m in enumerate(chain) if getattr(m, "__name__", "") == "settle_first"), len(chain))
    chain.insert(index, principal_guard(server))
