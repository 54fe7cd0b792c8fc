"""``runtime_status`` and ``orchestra://runtime`` through the SDK's in-memory client, in both eras."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mcp import Client
from mcp.types import Implementation, TextResourceContents

from orchestra.app import Orchestra
from orchestra.errors import UnknownRuntimeError
from orchestra.runtime.record import write_active_runtime
from orchestra.runtime.status import RuntimeService
from orchestra.workspace.config import OrchestraConfig
from orchestra_mcp.server import create_server

MODES = ["legacy", "auto"]


async def _status(app: Orchestra, mode: str, client_name: str | None) -> dict[str, Any]:
    info = Implementation(name=client_name, version="9.9") if client_name else None
    async with Client(create_server(app), mode=mode, client_info=info) as client:  # type: ignore[arg-type]
        result = await client.call_tool("runtime_status", {})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_client_name_decides(app: Orchestra, mode: str) -> None:
    write_active_runtime(app.layout.root, "cursor-cli")
    status = await _status(app, mode, "claude-code")
    assert status["active"] == {"runtime": "claude-cli", "source": "client", "can_spawn_subagent": True}
    assert status["client"] == {"name": "claude-code", "version": "9.9", "runtime": "claude-cli"}
    assert [s["name"] for s in status["signals"]] == ["client", "record", "env"]
    assert status["signals"][0]["status"] == "used" and status["signals"][1]["status"] == "available"
    assert {a["id"] for a in status["adapters"]} == {"claude-cli"}  # the rest is static: orchestra://runtime
    assert "record_path" not in status
    assert status["executor"]["runtime"] == "claude-cli"
    assert "Agent tool" in status["next_step"]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_unknown_client_falls_back_to_the_record(app: Orchestra, mode: str) -> None:
    write_active_runtime(app.layout.root, "codex-cli")
    status = await _status(app, mode, "mcp-inspector")
    assert status["active"]["runtime"] == "codex-cli" and status["active"]["source"] == "record"
    assert status["client"].get("runtime") is None
    assert status["signals"][0] == {"name": "client", "status": "unrecognized", "value": "mcp-inspector"}


@pytest.mark.anyio
async def test_tool_is_listed_read_only_with_descriptions(app: Orchestra) -> None:
    async with Client(create_server(app), mode="legacy") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    tool = tools["runtime_status"]
    assert tool.annotations is not None and tool.annotations.read_only_hint is True
    assert tool.description and "sub-agents" in tool.description
    assert tool.output_schema is not None
    assert "ctx" not in json.dumps(tool.input_schema)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_resource_reports_without_client(app: Orchestra, mode: str) -> None:
    write_active_runtime(app.layout.root, "windsurf-agent")
    async with Client(create_server(app), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.read_resource("orchestra://runtime")
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    data = json.loads(content.text)
    assert data.get("client") is None
    assert data["active"]["runtime"] == "windsurf-agent" and data["active"]["source"] == "record"
    assert len(data["adapters"]) >= 7 and data["record_path"]


def test_service_with_injected_env_and_clock(app: Orchestra) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    write_active_runtime(app.layout.root, "cursor-cli", now=t0)
    config = OrchestraConfig.model_validate({"runtimePolicy": {"byRole": {"reviewer": {"executor": "codex-cli"}},
                                                               "byTask": {"T-9": {"executor": "emacs"}}}})
    later = RuntimeService(app.layout.root, config, env={"OPEN_ORCHESTRA_ACTIVE_RUNTIME": "bogus"},
                           clock=lambda: t0 + timedelta(days=2))
    status = later.status()
    assert status.active.runtime is None and status.signals[-1].status == "invalid"
    assert status.signals[0].status == "stale"
    assert status.executor.runtime == "generic-runtime" and status.executor.source == "default"
    fresh = RuntimeService(app.layout.root, config, env={}, clock=lambda: t0 + timedelta(hours=1))
    assert fresh.select(role="reviewer").runtime == "codex-cli"
    assert fresh.select(role="dev").source == "record"
    assert fresh.select(explicit="claude-cli", role="reviewer").source == "explicit"
    with pytest.raises(UnknownRuntimeError, match=r"runtimePolicy\.byTask\.T-9"):
        fresh.select(task_id="T-9")
