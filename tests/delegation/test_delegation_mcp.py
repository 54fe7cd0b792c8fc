"""Delegation through real MCP clients: in-memory in both eras, and the stdio entry point as a host drives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import TextContent, TextResourceContents

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.delegation.conftest import open_app
from tests.helpers import BIN_DIR, clean_env

pytestmark = pytest.mark.anyio


def _data(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content
    assert result.structured_content is not None
    data: dict[str, Any] = result.structured_content
    return data


def _handoff(root: Path, spawn: dict[str, Any]) -> str:
    path = spawn["artifacts"]["expected_result"]
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(
        f"- Task id: {spawn['task_id']}\n- Phase: {spawn['phase']}\n- Role: {spawn['role']}\n"
        f"- Runtime: {spawn['runtime']}\n- Session id: {spawn['session_id']}\n\n## Summary\nDone.\n")
    return str(path)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_delegation_tools_in_memory(workspace: Path, mode: str) -> None:
    app = open_app(workspace, None, maxConcurrentDelegates=1)
    async with Client(create_server(app), mode=mode) as client:
        first = _data(await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli",
                                                                "brief": "Refactor"}))
        assert first["status"] == "requested" and first["parent_action"]["tool"] == "Agent"
        second = _data(await client.call_tool("spawn_request", {"task_id": "T-2", "runtime": "codex-cli"}))
        assert second["status"] == "queued" and second["parent_action"]["kind"] == "wait-for-capacity"
        prompt = await client.read_resource(first["prompt_resource"])
        content = prompt.contents[0]
        assert isinstance(content, TextResourceContents) and first["session_id"] in content.text
        _data(await client.call_tool("session_update", {"session_id": first["session_id"], "status": "spawned",
                                                        "agent_id": "child-1"}))
        bad = await client.call_tool("session_update", {"session_id": first["session_id"], "status": "resumed"})
        assert bad.is_error and isinstance(bad.content[0], TextContent)
        assert bad.content[0].text.count("invalid_transition:") == 1
        waited = _data(await client.call_tool("session_wait", {"session_ids": [first["session_id"]],
                                                               "timeout_s": 0.2}))
        assert waited["timed_out"] is True and waited["done"] is False
        done = _data(await client.call_tool("session_update", {
            "session_id": first["session_id"], "status": "completed",
            "artifact": _handoff(workspace, first)}))
        assert done["promoted"] == [second["session_id"]]
        waited = _data(await client.call_tool("session_wait", {"session_ids": [first["session_id"],
                                                                                second["session_id"]]}))
        assert waited["done"] and waited["finished"] == [first["session_id"]]
        detail = _data(await client.call_tool("session_get", {"session_id": first["session_id"]}))
        assert [t["to_status"] for t in detail["timeline"]] == ["requested", "spawned", "completed"]
        listing = _data(await client.call_tool("session_list", {}))
        assert listing["counts"]["active"] == 1 and listing["counts"]["terminal"] == 1
        resource = await client.read_resource(f"orchestra://sessions/{second['session_id']}")
        body = resource.contents[0]
        assert isinstance(body, TextResourceContents)
        assert json.loads(body.text)["session"]["status"] == "requested"
    app.close()


async def test_session_wait_returns_early_with_progress(workspace: Path) -> None:
    app: Orchestra = open_app(workspace)
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    async with Client(create_server(app), mode="legacy") as client:
        spawn = _data(await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"}))

        async def finish_later() -> None:
            await anyio.sleep(1.2)
            await anyio.to_thread.run_sync(lambda: app.delegation.update(
                {"session_id": spawn["session_id"], "status": "failed", "summary": "stopped"}))

        async with anyio.create_task_group() as group:
            group.start_soon(finish_later)
            started = anyio.current_time()
            waited = _data(await client.call_tool("session_wait", {"session_ids": [spawn["session_id"]],
                                                                   "timeout_s": 20},
                                                  progress_callback=on_progress))
            elapsed = anyio.current_time() - started
        assert waited["done"] and not waited["timed_out"] and elapsed < 10
        assert updates, "progress is reported while waiting"
    app.close()


async def test_full_flow_over_stdio(workspace: Path) -> None:
    """What a real host does: spawn, read the prompt, heartbeat, complete with a result file, wait, get."""
    open_app(workspace).close()
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
                                   env=clean_env(), cwd=str(workspace))
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        spawn = _data(await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli",
                                                               "idempotency_key": "host-req-0001"}))
        prompt = await client.read_resource(spawn["prompt_resource"])
        text = prompt.contents[0]
        assert isinstance(text, TextResourceContents) and "## Return Contract" in text.text
        sid = spawn["session_id"]
        _data(await client.call_tool("session_update", {"session_id": sid, "status": "spawned",
                                                        "agent_id": "agent-1"}))
        _data(await client.call_tool("session_update", {"session_id": sid, "status": "active"}))
        _data(await client.call_tool("session_update", {"session_id": sid, "status": "completed",
                                                        "artifact": _handoff(workspace, spawn)}))
        waited = _data(await client.call_tool("session_wait", {"session_ids": [sid], "mode": "all"}))
        assert waited["done"]
        got = _data(await client.call_tool("session_get", {"session_id": sid}))
        assert got["session"]["status"] == "completed" and got["session"]["agent_id"] == "agent-1"
        again = _data(await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli",
                                                               "idempotency_key": "host-req-0001"}))
        assert again["replayed"] and again["session_id"] == sid
