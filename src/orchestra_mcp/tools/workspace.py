"""Workspace tools and the ``orchestra://workspace`` resource."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from orchestra.app import Orchestra, WorkspaceStatus
from orchestra_mcp.annotations import READ_ONLY
from orchestra_mcp.errors import resource_errors, tool_errors

WORKSPACE_URI = "orchestra://workspace"


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the workspace tools and resource to ``server``."""

    @server.tool(title="Workspace status", annotations=READ_ONLY)
    def workspace_status() -> WorkspaceStatus:
        """Workspace root, schema version, task and event counts."""
        with tool_errors("workspace_status"):
            return app.status()

    @server.resource(WORKSPACE_URI, name="workspace", title="Workspace status", mime_type="application/json")
    def workspace_resource() -> str:
        """The same summary as the workspace_status tool, as JSON."""
        with resource_errors(WORKSPACE_URI):
            return app.status().model_dump_json(indent=2)
