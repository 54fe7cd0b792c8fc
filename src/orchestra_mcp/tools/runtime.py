"""The ``runtime_status`` tool and the ``orchestra://runtime`` resource."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from orchestra.app import Orchestra
from orchestra.runtime.status import RuntimeStatus
from orchestra_mcp.annotations import READ_ONLY
from orchestra_mcp.errors import tool_errors

RUNTIME_URI = "orchestra://runtime"


def client_identity(ctx: Context[Any, Any]) -> tuple[str | None, str | None]:
    """``clientInfo`` name and version of the calling client (handshake or 2026-era envelope)."""
    try:
        params = ctx.request_context.session.client_params
    except (AttributeError, ValueError):
        return None, None
    info = params.client_info if params is not None else None
    return (info.name, info.version) if info is not None else (None, None)


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the runtime tool and resource to ``server``."""

    @server.tool(title="Runtime status", annotations=READ_ONLY)
    def runtime_status(ctx: Context[Any, Any]) -> RuntimeStatus:
        """Your runtime, the executor, and whether it can spawn sub-agents (with which native tool)."""
        with tool_errors("runtime_status"):
            name, version = client_identity(ctx)
            return app.runtime.status(client_name=name, client_version=version, in_call=True)

    @server.resource(RUNTIME_URI, name="runtime", title="Runtime status", mime_type="application/json")
    def runtime_resource() -> str:
        """The runtime_status picture as JSON, without the calling client (a static resource has no caller)."""
        return app.runtime.status().model_dump_json(indent=2)
