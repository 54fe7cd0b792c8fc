"""capacity_snapshot and orchestra://capacity through a real MCP client, in both eras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent, TextResourceContents

from orchestra_mcp.server import create_server
from tests.capacity.conftest import open_capacity

pytestmark = pytest.mark.anyio


def _data(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content
    data: dict[str, Any] = result.structured_content
    return data


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_snapshot_tool_and_resource(workspace: Path, mode: str) -> None:
    app = open_capacity(workspace)
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer", "acceptance_criteria": ["ok"]})
    app.capacity.request({"tenant_id": "acme", "workspace_id": "w", "provider": "openai"})
    async with Client(create_server(app), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["capacity_snapshot"].annotations is not None
        assert tools["capacity_snapshot"].annotations.read_only_hint is True
        spawn = _data(await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"}))
        assert spawn["capacity"]["status"] == "admitted"
        everything = _data(await client.call_tool("capacity_snapshot", {}))
        assert everything["active"] == 2 and everything["limits"]["max_active"] == 3
        scoped = _data(await client.call_tool("capacity_snapshot", {"tenant_id": "acme"}))
        assert scoped["active"] == 1 and scoped["active_by"]["by_provider"] == {"openai": 1}
        bad = await client.call_tool("capacity_snapshot", {"workspace_id": "w"})
        assert bad.is_error and isinstance(bad.content[0], TextContent)
        assert "invalid_input: a workspace filter needs its tenant" in bad.content[0].text
        resource = await client.read_resource("orchestra://capacity")
        content = resource.contents[0]
        assert isinstance(content, TextResourceContents) and json.loads(content.text)["active"] == 2
    app.close()


async def test_saas_snapshot_requires_a_tenant(workspace: Path) -> None:
    app = open_capacity(workspace, None, {"mode": "saas"})
    async with Client(create_server(app), mode="legacy") as client:
        bad = await client.call_tool("capacity_snapshot", {})
        assert bad.is_error and isinstance(bad.content[0], TextContent)
        assert "tenant" in bad.content[0].text
        assert _data(await client.call_tool("capacity_snapshot", {"tenant_id": "acme"}))["mode"] == "saas"
    app.close()
