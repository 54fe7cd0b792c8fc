"""Every tool through the SDK's in-memory client, in both protocol eras."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent, TextResourceContents

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio

MODES = ["legacy", "auto"]


@pytest.fixture(params=MODES)
async def client(request: pytest.FixtureRequest, app: Orchestra) -> AsyncIterator[Client]:
    async with Client(create_server(app), mode=request.param) as connected:
        yield connected


def _text(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def test_every_tool_and_parameter_is_described(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} >= {"workspace_status", "task_add", "task_get", "task_list"}
    for tool in tools:
        assert tool.description and len(tool.description) > 20, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.annotations is not None, tool.name
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
    by_name = {t.name: t for t in tools}
    for read_only in ("workspace_status", "task_get", "task_list"):
        assert by_name[read_only].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert by_name["task_add"].annotations.destructive_hint is False  # type: ignore[union-attr]


@pytest.mark.sqlite_only
async def test_workspace_status_and_resource(client: Client, app: Orchestra) -> None:
    result = await client.call_tool("workspace_status", {})
    assert result.is_error is False
    status = result.structured_content
    assert status is not None
    assert status["root"] == str(app.layout.root)
    assert status["schema_version"] >= 1 and status["tasks"] == 0 and status["database"].endswith("state.db")
    read = await client.read_resource("orchestra://workspace")
    content = read.contents[0]
    assert isinstance(content, TextResourceContents)
    assert json.loads(content.text)["root"] == str(app.layout.root)


async def test_task_flow(client: Client) -> None:
    added = await client.call_tool("task_add", {
        "id": "T-1", "title": "Ship it", "goal": "A release", "acceptance_criteria": ["tests pass"],
        "ownership_paths": ["src/app"], "owner_role": "developer",
    })
    assert added.is_error is False
    assert added.structured_content is not None
    assert added.structured_content["ownership_paths"] == ["src/app"]
    got = await client.call_tool("task_get", {"task_id": "T-1"})
    assert got.structured_content == added.structured_content
    for i in range(3):
        assert (await client.call_tool("task_add", {"id": f"U{i}", "title": f"u{i}"})).is_error is False
        moved = await client.call_tool("task_update", {"task_id": f"U{i}", "status": "in_progress"})
        assert moved.is_error is False, moved.content
    page = await client.call_tool("task_list", {"limit": 2})
    assert page.structured_content is not None
    assert [t["id"] for t in page.structured_content["tasks"]] == ["T-1", "U0"]
    assert page.structured_content["next_after_id"] == "U0"
    rest = await client.call_tool("task_list", {"after_id": "U0", "limit": 2})
    assert rest.structured_content is not None
    assert [t["id"] for t in rest.structured_content["tasks"]] == ["U1", "U2"]
    filtered = await client.call_tool("task_list", {"status": "planned"})
    assert filtered.structured_content is not None
    assert [t["id"] for t in filtered.structured_content["tasks"]] == ["T-1"]
    status = await client.call_tool("workspace_status", {})
    assert status.structured_content is not None
    assert status.structured_content["tasks"] == 4 and status.structured_content["events"] == 7


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"id": "bad id", "title": "x"}, "invalid_input"),
        ({"id": "T", "title": "x" * 300}, "invalid_input"),
        ({"id": "T", "title": "x", "ownership_paths": ["../etc"]}, "path_outside_workspace"),
        ({"id": "T", "title": "x", "ownership_paths": ["/etc/passwd"]}, "path_outside_workspace"),
    ],
)
async def test_bad_input_is_a_coded_tool_error_and_writes_nothing(
    client: Client, app: Orchestra, arguments: dict[str, Any], code: str
) -> None:
    result = await client.call_tool("task_add", arguments)
    assert result.is_error is True
    assert f"{code}:" in _text(result)
    assert app.tasks.list() == [] and app.events.count() == 0


async def test_duplicate_and_missing(client: Client) -> None:
    await client.call_tool("task_add", {"id": "T", "title": "x"})
    dup = await client.call_tool("task_add", {"id": "T", "title": "y"})
    assert dup.is_error is True and "task_exists:" in _text(dup)
    missing = await client.call_tool("task_get", {"task_id": "nope"})
    assert missing.is_error is True and "task_not_found:" in _text(missing)
    schema_bad = await client.call_tool("task_list", {"limit": 0})
    assert schema_bad.is_error is True


async def test_unexpected_failure_is_hidden_and_coded(client: Client, app: Orchestra,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internal detail /root/path")

    monkeypatch.setattr(app.tasks, "get", explode)
    result = await client.call_tool("task_get", {"task_id": "T"})
    assert result.is_error is True
    assert "internal_error:" in _text(result)
    assert "secret internal detail" not in _text(result)
