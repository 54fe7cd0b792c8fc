"""MCP logging through the SDK client: ``logging/setLevel`` on the handshake era, the per-request opt-in
on 2026-07-28, and the one thing the server logs to its client (sessions settled without a report)."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import LoggingMessageNotificationParams

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.delegation.conftest import open_app, write_handoff

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")]


class Received:
    """The log notifications a client got."""

    def __init__(self) -> None:
        self.messages: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.messages.append(params)


async def _spawn_and_hand_off(app: Orchestra, client: Client) -> str:
    """A spawned child that wrote its handoff file; nobody has reported it yet."""
    spawn = await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"})
    assert spawn.structured_content is not None
    session_id: str = spawn.structured_content["session_id"]
    await client.call_tool("session_update", {"session_id": session_id, "status": "spawned"})
    _quiet(app, write_handoff(app, session_id))
    return session_id


def _quiet(app: Orchestra, handoff: str) -> None:
    """Date the handoff file back past the watcher's quiet time (it skips files still being written)."""
    path = app.layout.root / handoff
    past = time.time() - 60
    os.utime(path, (past, past))


async def _status_of(client: Client, session_id: str) -> Any:
    got = await client.call_tool("session_get", {"session_id": session_id})
    assert got.structured_content is not None
    return got.structured_content["session"]["status"]


async def test_handshake_era_declares_logging_and_accepts_every_level(workspace: Path) -> None:
    app = open_app(workspace)
    async with Client(create_server(app), mode="legacy") as client:
        assert client.server_capabilities.logging is not None
        for level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"):
            assert (await client.set_logging_level(level)).model_dump(exclude_none=True) == {}  # type: ignore[arg-type]
    app.close()


async def test_a_settled_session_is_logged_at_info(workspace: Path) -> None:
    app = open_app(workspace)
    received = Received()
    async with Client(create_server(app), mode="legacy", logging_callback=received) as client:
        await client.set_logging_level("info")
        session_id = await _spawn_and_hand_off(app, client)
        assert received.messages == []
        await client.call_tool("workspace_status", {})
        assert await _status_of(client, session_id) == "completed"
    assert len(received.messages) == 1
    message = received.messages[0]
    assert message.level == "info" and message.logger == "orchestra"
    assert session_id in str(message.data) and "session_get" in str(message.data)
    app.close()


async def test_a_higher_level_filters_the_info_line_out(workspace: Path) -> None:
    app = open_app(workspace)
    received = Received()
    async with Client(create_server(app), mode="legacy", logging_callback=received) as client:
        await client.set_logging_level("warning")
        session_id = await _spawn_and_hand_off(app, client)
        await client.call_tool("workspace_status", {})
        assert await _status_of(client, session_id) == "completed"  # settled all the same
    assert received.messages == []
    app.close()


async def test_each_connection_keeps_its_own_level(workspace: Path) -> None:
    app = open_app(workspace)
    server = create_server(app)
    quiet, loud = Received(), Received()
    async with Client(server, mode="legacy", logging_callback=quiet) as first, \
            Client(server, mode="legacy", logging_callback=loud) as second:
        await first.set_logging_level("error")
        await second.set_logging_level("debug")
        await _spawn_and_hand_off(app, first)
        await second.call_tool("workspace_status", {})
    assert quiet.messages == [] and len(loud.messages) == 1
    app.close()


async def test_modern_era_has_no_set_level_and_logs_only_on_opt_in(workspace: Path) -> None:
    app = open_app(workspace)
    silent, opted = Received(), Received()
    server = create_server(app)
    async with Client(server, mode="auto", logging_callback=silent) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            with pytest.raises(MCPError):
                await client.set_logging_level("info")
        first = await _spawn_and_hand_off(app, client)
        await client.call_tool("workspace_status", {})
        assert await _status_of(client, first) == "completed"
    assert silent.messages == []
    async with Client(server, mode="auto", logging_callback=opted, log_level="info") as client:
        spawn = await client.call_tool("spawn_request", {"task_id": "T-2", "runtime": "claude-cli"})
        assert spawn.structured_content is not None
        second = spawn.structured_content["session_id"]
        await client.call_tool("session_update", {"session_id": second, "status": "spawned"})
        _quiet(app, write_handoff(app, second))
        await client.call_tool("workspace_status", {})
    assert [m.level for m in opted.messages] == ["info"] and second in str(opted.messages[0].data)
    app.close()
