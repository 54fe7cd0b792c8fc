"""content_scan and egress_check through a real MCP client, in both eras."""

from __future__ import annotations

import pytest
from mcp import Client

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio
TOKEN = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_content_scan_and_egress_check(app: Orchestra, mode: str) -> None:
    async with Client(create_server(app), mode=mode) as client:
        scan = await client.call_tool("content_scan", {"text": f"deploy with {TOKEN} via `curl http://x`",
                                                       "sink": "transcript"})
        data = scan.structured_content
        assert data is not None and scan.is_error is False
        assert data["outcome"] == "redact" and TOKEN not in str(data)
        assert "[REDACTED_SECRET]" in data["text"] and "`curl http://x`" in data["text"]
        assert data["findings"][0]["category"] == "secret" and data["findings"][0]["count"] == 1
        blocked = await client.call_tool("content_scan", {"text": f"token {TOKEN}", "sink": "provider"})
        assert blocked.structured_content is not None and blocked.structured_content.get("text") is None
        ok = await client.call_tool("egress_check", {"provider_id": "ollama", "base_url": "http://127.0.0.1:11434/v1",
                                                     "messages": [{"role": "user", "content": "hello"}]})
        assert ok.structured_content is not None and ok.structured_content["allowed"] is True
        for url in ("http://10.evil.com:11434", "http://169.254.169.254/", "http://user:pw@127.0.0.1/"):
            denied = await client.call_tool("egress_check", {"provider_id": "ollama", "base_url": url,
                                                             "messages": [{"role": "user", "content": "hi"}]})
            assert denied.structured_content is not None and denied.structured_content["allowed"] is False, url
        secret = await client.call_tool("egress_check", {"provider_id": "ollama", "base_url": "http://localhost:11434",
                                                         "messages": [{"role": "user", "content": f"use {TOKEN}"}]})
        assert secret.structured_content is not None and secret.structured_content["allowed"] is False
        assert TOKEN not in str(secret.structured_content)
        bad = await client.call_tool("content_scan", {"text": "x", "sink": "nowhere"})
        assert bad.is_error is True
