"""Error texts pass the guard: a tool or resource error may quote what the caller sent (an unknown argument
name, an identifier, a URI), and a secret planted there must not come back in the error, its data or the log."""

from __future__ import annotations

import json
import secrets
import string
import subprocess
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.helpers import BIN_DIR, clean_env

pytestmark = pytest.mark.anyio

ALL_GROUPS = ["core", "security", "ledger", "chat", "media", "compliance"]


def _github_token() -> str:
    return "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))


def _aws_key() -> str:
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


def _planted_calls(token: str) -> list[dict[str, object]]:
    return [{token: 1}, {"task_id": token}, {"thread_id": token}, {"session_id": token},
            {"title": "x", "ownership_paths": ["../" + token]}, {"nested": {token: [token]}}]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_no_tool_or_resource_error_echoes_a_planted_secret(app: Orchestra, mode: str) -> None:
    token, key = _github_token(), _aws_key()
    async with Client(create_server(app, ALL_GROUPS), mode=mode) as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
        assert len(tools) > 20
        for tool in tools:
            for arguments in _planted_calls(token) + _planted_calls(key):
                result = await client.call_tool(tool.name, arguments)
                text = " ".join(getattr(part, "text", "") for part in result.content)
                assert token[8:28] not in text and key[4:] not in text, (tool.name, text)
        for uri in (f"orchestra://tasks/{token}", f"orchestra://sessions/{key}", f"orchestra://{token}/x"):
            with pytest.raises(MCPError) as raised:
                await client.read_resource(uri)
            error = raised.value.error
            shown = error.message + json.dumps(error.data)
            assert token[8:28] not in shown and key[4:] not in shown, shown


def test_the_stdio_server_log_and_answers_carry_no_planted_secret(workspace: Path) -> None:
    token = _github_token()
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "task_list", "arguments": {token: 1}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "task_get",
                                                                        "arguments": {"task_id": token}}},
        {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": f"orchestra://{token}"}},
    ]
    proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)], cwd=workspace,
                            env=clean_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdin is not None and proc.stdout is not None
    answers: list[dict[str, object]] = []
    try:
        for request in requests:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            if "id" in request:
                answers.append(json.loads(proc.stdout.readline()))
    finally:
        out, err = proc.communicate(timeout=60)
    assert [a.get("id") for a in answers] == [1, 2, 3, 4]
    shown = json.dumps(answers) + out
    assert token[8:28] not in shown
    assert token[8:28] not in err
