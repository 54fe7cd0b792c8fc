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
    content: str = Field(description="The message text.", max_length=MAX_SCAN_CHARS)


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the security tools to ``server``."""

    @server.tool(title="Scan text with the security guard", annotations=READ_ONLY)
    def content_scan(
        text: Annotated[str, Field(description="The text to check (up to 1,000,000 characters).",
                                   max_length=MAX_SCAN_CHARS)],
        sink: Annotated[Sink, Field(description="Where the text is going: transcript, export, evidence, log, "
                                                "telemetry, provider, prompt, tool, url or public_response.")],
    ) -> GuardDecision:
        """Decide what may pass to a sink: allow, redact, quarantine, block or requires_approval, with
        sanitized findings (category, rule id, count; never the values) and the text that may pass
        (redacted and encoded for the sink). Nothing is stored. Ordinary code, SQL, shell and URLs are
        fine for storage sinks; secrets and personal data are redacted; execution risks matter for
        tool, url and provider sinks."""
        with tool_errors("content_scan"):
            return app.guard.guard(text, sink)

    @server.tool(title="Check provider egress", annotations=READ_ONLY)
    def egress_check(
        provider_id: Annotated[str, Field(description="Provider id, e.g. 'ollama'.", max_length=64)],
        messages: Annotated[list[EgressMessage], Field(description="The messages that would be sent.",
                                                       max_length=500)],
        base_url: Annotated[str | None, Field(description="The provider's base URL (internal providers such as "
                                                          "Ollama must use a loopback or private address; "
                                                          "others a public one).",
                                             max_length=2048)] = None,
    ) -> EgressDecision:
        """Would these messages be allowed to leave for this provider? Restricted content (secrets, keys,
        card data, sensitive personal data) and prompt injection are refused; internal providers accept
        only loopback and private literal addresses or 'localhost', other providers only public https
        endpoints (no credentials, metadata or link-local addresses, wildcard-DNS names or encoded
        tricks). Nothing is sent; findings are sanitized."""
        with tool_errors("egress_check"):
            return check_provider_egress(provider_id, base_url, [m.model_dump() for m in messages],
                                         guard=app.guard, link_local_allow=app.providers.link_local_allow)
