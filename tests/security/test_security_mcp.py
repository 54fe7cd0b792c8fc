"""content_scan and egress_check through a real MCP client, in both eras."""

from __future__ import annotations

from typing import Any

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


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_egress_check_closes_the_issue_14_gaps(open_app: Any, mode: str) -> None:
    app = open_app({"providers": {"linkLocalAllowlist": ["169.254.7.0/24"]}})
    cases = [
        ("ollama", "http://169.254.170.23/", "base_url_metadata_address"),
        ("ollama", "http://0xa9feaa17/", "base_url_metadata_address"),
        ("ollama", "http://[fd00:ec2::23]/", "base_url_metadata_address"),
        ("ollama", "http://169.254.169.253/", "base_url_metadata_address"),
        ("ollama", "http://169.254.169.123/", "base_url_metadata_address"),
        ("ollama", "http://[fe80::a9fe:a9fe]/", "base_url_metadata_address"),
        ("ollama", "http://169.254.8.1/", "base_url_link_local_not_allowed"),
        ("acme", "https://127.0.0.1/", "base_url_not_public"),
        ("acme", "https://10.0.0.1/", "base_url_not_public"),
        ("acme", "https://100.64.0.1/", "base_url_not_public"),
        ("acme", "https://127.0.0.1.nip.io/", "base_url_wildcard_dns"),
        ("ollama\u200b", "http://127.0.0.1:11434/", "provider_id_invalid"),
    ]
    async with Client(create_server(app), mode=mode) as client:
        for provider, url, reason in cases:
            result = await client.call_tool("egress_check", {"provider_id": provider, "base_url": url,
                                                             "messages": [{"role": "user", "content": "hi"}]})
            data = result.structured_content
            assert data is not None and data["allowed"] is False and reason in data["reasons"], (provider, url)
        allowed = await client.call_tool("egress_check", {"provider_id": "ollama", "base_url": "http://169.254.7.9/",
                                                          "messages": [{"role": "user", "content": "hi"}]})
        assert allowed.structured_content is not None and allowed.structured_content["allowed"] is True


def test_a_non_link_local_allowlist_entry_is_a_config_error(workspace: Any) -> None:
    import json

    from orchestra.errors import ConfigError

    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"providers": {"linkLocalAllowlist": ["10.0.0.0/8"]}}))
    with pytest.raises(ConfigError, match="linkLocalAllowlist"):
        Orchestra.open(workspace)
