"""What the HTTP server prints on stderr once it listens: where it is and how to connect a runtime."""

from __future__ import annotations

import json

from orchestra_mcp.http.settings import HttpSettings, auth_configured


def http_connect_hint(root: str, source: str, settings: HttpSettings, *, initialized: bool = True) -> str:
    """The stderr banner: the endpoint URL, then the config snippets for the hosts that speak HTTP."""
    url = settings.url
    line = f"orchestra-mcp: serving workspace {root} (from {source}) over streamable HTTP at {url}"
    if not initialized:
        line += " (not initialized yet: the first write creates .agent-workflow/)"
    snippet = json.dumps({"mcpServers": {"orchestra": {"type": "http", "url": url}}})
    auth = " (add the credential header your authentication expects)" if auth_configured(settings) else ""
    return (
        f"{line}\n"
        f"  Claude Code: claude mcp add --transport http --scope project orchestra {url}{auth}\n"
        f"  .mcp.json:   {snippet}\n"
        f"  Cursor:      .cursor/mcp.json {{\"mcpServers\": {{\"orchestra\": {{\"url\": \"{url}\"}}}}}}\n"
        f"  Codex:       [mcp_servers.orchestra] url = \"{url}\"   VS Code: .vscode/mcp.json "
        f"{{\"servers\": {{\"orchestra\": {{\"type\": \"http\", \"url\": \"{url}\"}}}}}}\n"
        f"  Stop with Ctrl-C or SIGTERM: calls in flight finish first (up to {settings.shutdown_grace_s:g}s)."
    )
