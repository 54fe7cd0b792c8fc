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
_ID = "An id: a letter or digit, then letters, digits or . _ : @ / + = - (up to 128 characters)."


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the capacity tool and resource to ``server``."""

    @server.tool(title="Capacity snapshot", annotations=READ_ONLY)
    def capacity_snapshot(
        tenant_id: Annotated[str | None, Field(description="Only this tenant (required in SaaS mode). " + _ID,
                                               max_length=128)] = None,
        workspace_id: Annotated[str | None, Field(description="Only this workspace of the tenant. " + _ID,
                                                  max_length=128)] = None,
        platform_id: Annotated[str | None, Field(description="Only this platform. " + _ID, max_length=128)] = None,
    ) -> Snapshot:
        """Runtime capacity in use: active leases and queued requests (counts and units, broken down by
        tenant, workspace, workload class, provider, runtime, region and worker), rejected and deferred
        decisions, open worker circuits and the effective quotas (defaults: 3 active, 25 queued, 2 per
        provider, 3 per runtime). Every figure respects the scope filter. Use it to see why a spawn
        request was queued. Read-only."""
        with tool_errors("capacity_snapshot"):
            return app.capacity.snapshot(platform_id=platform_id, tenant_id=tenant_id, workspace_id=workspace_id)

    @server.resource(CAPACITY_URI, name="capacity", title="Capacity snapshot", mime_type="application/json")
    def capacity_resource() -> str:
        """The unfiltered capacity snapshot as JSON (local mode; in SaaS mode use capacity_snapshot with a tenant)."""
        with resource_errors(CAPACITY_URI):
            return app.capacity.snapshot().model_dump_json(indent=2)
