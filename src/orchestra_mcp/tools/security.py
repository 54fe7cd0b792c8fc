"""Security tools: ``content_scan`` and ``egress_check`` over the workspace's guard."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.security.egress import check_provider_egress
from orchestra.security.model import EgressDecision, GuardDecision, Sink
from orchestra_mcp.annotations import READ_ONLY
from orchestra_mcp.errors import tool_errors

MAX_SCAN_CHARS = 1_000_000


class EgressMessage(BaseModel):
    """One message that would be sent to the provider."""

    role: str = Field(description="system, user, assistant or tool.", max_length=32)
    content: str = Field(max_length=MAX_SCAN_CHARS)


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the security tools to ``server``."""

    @server.tool(title="Scan text with the security guard", annotations=READ_ONLY)
    def content_scan(
        text: Annotated[str, Field(description="Text to check.",
                                   max_length=MAX_SCAN_CHARS)],
        sink: Annotated[Sink, Field(description="Where it is going.")],
    ) -> GuardDecision:
        """What of a text may pass to a sink, with sanitized findings. Stores nothing."""
        with tool_errors("content_scan"):
            return app.guard.guard(text, sink)

    @server.tool(title="Check provider egress", annotations=READ_ONLY)
    def egress_check(
        provider_id: Annotated[str, Field(description="e.g. 'ollama'.", max_length=64)],
        messages: Annotated[list[EgressMessage], Field(description="Messages to send.",
                                                       max_length=500)],
        base_url: Annotated[str | None, Field(description="Provider base URL.",
                                             max_length=2048)] = None,
    ) -> EgressDecision:
        """May these messages go to this provider? Refuses restricted data, injection, and addresses the
        provider may not reach. Sends nothing."""
        with tool_errors("egress_check"):
            return check_provider_egress(provider_id, base_url, [m.model_dump() for m in messages],
                                         guard=app.guard, link_local_allow=app.providers.link_local_allow)
