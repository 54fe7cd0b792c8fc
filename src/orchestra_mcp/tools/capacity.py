"""The ``capacity_snapshot`` tool and the ``orchestra://capacity`` resource."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.capacity import Snapshot
from orchestra_mcp.annotations import READ_ONLY
from orchestra_mcp.errors import resource_errors, tool_errors

CAPACITY_URI = "orchestra://capacity"


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the capacity tool and resource to ``server``."""

    @server.tool(title="Capacity snapshot", annotations=READ_ONLY)
    def capacity_snapshot(
        tenant_id: Annotated[str | None, Field(description="Only this tenant (SaaS mode).",
                                               max_length=128)] = None,
        workspace_id: Annotated[str | None, Field(description="Only this workspace.",
                                                  max_length=128)] = None,
        platform_id: Annotated[str | None, Field(description="Only this platform.", max_length=128)] = None,
    ) -> Snapshot:
        """Capacity in use, queued requests and quotas: why a spawn was queued."""
        with tool_errors("capacity_snapshot"):
            return app.capacity.snapshot(platform_id=platform_id, tenant_id=tenant_id, workspace_id=workspace_id)

    @server.resource(CAPACITY_URI, name="capacity", title="Capacity snapshot", mime_type="application/json")
    def capacity_resource() -> str:
        """The unfiltered capacity snapshot as JSON (local mode; in SaaS mode use capacity_snapshot with a tenant)."""
        with resource_errors(CAPACITY_URI):
            return app.capacity.snapshot().model_dump_json(indent=2)
