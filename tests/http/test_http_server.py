"""``orchestra-mcp --transport http`` as a subprocess: both protocol eras through the SDK client, and what
the transport refuses (malformed and oversized bodies, foreign Host/Origin, requests beyond the in-flight
limit, requests past the deadline)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextResourceContents

from tests.helpers import BIN_DIR, clean_env
from tests.http.support import (
    HEADERS,
    RunningServer,
    http_server,
    initialize,
    make_workspace,
    requested_session,
    session_headers,
    sse_messages,
    start_server,
    tool_call,
)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server with default settings for the tests that do not change them."""
    with http_server(make_workspace(tmp_path_factory.mktemp("http"))) as running:
        yield running


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_both_eras_list_call_and_read(server: RunningServer, mode: str) -> None:
    async with Client(streamable_http_client(server.url), mode=mode) as client:  # type: ignore[arg-type]
        era = client.session.protocol_version
        assert era == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        tools = (await client.list_tools()).tools
        assert {"task_add", "workspace_status", "spawn_request"} <= {t.name for t in tools}
        assert all(t.description for t in tools)
        added = await client.call_tool("task_add", {"id": f"H-{mode}", "title": f"over HTTP ({mode})"})
        assert added.is_error is False and added.structured_content is not None
        assert added.structured_content["id"] == f"H-{mode}"
        listed = await client.call_tool("task_get", {"task_id": f"H-{mode}"})
        assert listed.structured_content is not None and listed.structured_content["title"] == f"over HTTP ({mode})"
        read = await client.read_resource("orchestra://workspace")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        assert json.loads(content.text)["tasks"] >= 1
        with pytest.raises(MCPError) as missing:
            await client.read_resource("orchestra://sessions/no-such-session")
        assert missing.value.error.code == -32602


def test_malformed_bodies_get_jsonrpc_errors(server: RunningServer) -> None:
    with httpx2.Client(timeout=30) as http:
        session = initialize(http, server.url)
        headers = session_headers(session)
        bad_json = http.post(server.url, headers=headers, content=b'{"jsonrpc": "2.0", "id": 1, "method": ')
        assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == -32700
        not_rpc = http.post(server.url, headers=headers, json={"hello": "world"})
        assert not_rpc.status_code == 400 and "error" in not_rpc.json()
        wrong_type = http.post(server.url, headers={**headers, "content-type": "text/plain"}, content=b"{}")
        assert wrong_type.status_code in (400, 415)
        # the session still works afterwards
        ok = http.post(server.url, headers=headers, json={"jsonrpc": "2.0", "id": 9, "method": "tools/list"})
        assert ok.status_code == 200
        assert sse_messages(ok.text)[-1]["id"] == 9


def test_oversized_bodies_are_refused_with_413(server: RunningServer) -> None:
    big = json.dumps(tool_call(1, "task_add", {"title": "x" * 70_000})).encode()
    with httpx2.Client(timeout=30) as http:
        session = initialize(http, server.url)
        declared = http.post(server.url, headers=session_headers(session), content=big)
        assert declared.status_code == 413
        body = declared.json()
        assert body["jsonrpc"] == "2.0" and body["error"]["data"]["reason"] == "body_too_large"
        assert "65536" in body["error"]["message"]

        def stream() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
            for start in range(0, len(big), 8192):
                yield big[start:start + 8192]

        chunked = http.post(server.url, headers=session_headers(session), content=stream())
        assert chunked.status_code == 413 and chunked.json()["error"]["data"]["reason"] == "body_too_large"
    with httpx2.Client(timeout=30) as http:  # nothing of it was stored
        session = initialize(http, server.url)
        listed = http.post(server.url, headers=session_headers(session), json=tool_call(2, "task_list", {}))
        assert "x" * 1000 not in listed.text


def test_foreign_host_and_origin_are_refused(server: RunningServer) -> None:
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    with httpx2.Client(timeout=30) as http:
        rebound = http.post(server.url, headers={**HEADERS, "host": f"attacker.example:{server.port}"}, json=init)
        assert rebound.status_code == 421 and rebound.json()["error"]["data"]["reason"] == "host_not_allowed"
        assert "mcp-session-id" not in rebound.headers
        cross = http.post(server.url, headers={**HEADERS, "origin": "http://attacker.example"}, json=init)
        assert cross.status_code == 403 and cross.json()["error"]["data"]["reason"] == "origin_not_allowed"
        health = http.get(f"{server.base}/healthz", headers={"host": "attacker.example"})
        assert health.status_code == 421
        same = http.post(server.url, headers={**HEADERS, "origin": f"http://localhost:{server.port}"}, json=init)
        assert same.status_code == 200 and same.headers["mcp-session-id"]
        assert http.get(f"{server.base}/healthz").json()["status"] == "ok"
    assert "refused a request with Host 'attacker.example" in server.stderr()


def test_a_secret_in_a_refused_header_never_reaches_the_log(server: RunningServer) -> None:
    canary = "ghp_" + "Zq8Xw2Vb6Nm4Lk0Jh7Gf5Ds3Ap1Oi9Uy2Tr4E"
    with httpx2.Client(timeout=30) as http:
        refused = http.post(server.url, headers={**HEADERS, "host": canary}, content=b"{}")
        assert refused.status_code == 421
        assert canary not in refused.text
    log = server.stderr()
    assert "refused a request with Host" in log
    assert canary not in log and canary[:12] not in log


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server allowing 2 requests in flight and 3 seconds per request."""
    with http_server(make_workspace(tmp_path_factory.mktemp("limited")), "--max-inflight", "2",
                     "--request-timeout", "3") as running:
        yield running


async def test_concurrent_clients_beyond_the_in_flight_limit_get_503(limited: RunningServer) -> None:
    session_id = await requested_session(limited.url)
    statuses: list[tuple[int, dict[str, Any], str]] = []
    clients = [httpx2.Client(timeout=60) for _ in range(4)]
    try:
        sessions = [initialize(client, limited.url) for client in clients]  # four clients, four sessions
        async with httpx2.AsyncClient(timeout=60) as http:

            async def slow(request_id: int) -> None:
                response = await http.post(limited.url, headers=session_headers(sessions[request_id]), json=tool_call(
                    request_id, "session_wait", {"session_ids": [session_id], "timeout_s": 2}))
                statuses.append((response.status_code, dict(response.headers), response.text))

            async with anyio.create_task_group() as tg:
                for request_id in range(4):
                    tg.start_soon(slow, request_id)
            after = await http.post(limited.url, headers=session_headers(sessions[0]),
                                    json=tool_call(9, "task_list", {}))
    finally:
        for client in clients:
            client.close()
    codes = sorted(code for code, _, _ in statuses)
    assert codes == [200, 200, 503, 503], statuses
    for code, headers, text in statuses:
        if code == 503:
            assert headers["retry-after"] == "1"
            assert json.loads(text)["error"]["data"]["reason"] == "overloaded"
        else:
            result = sse_messages(text)[-1]["result"]
            assert result["structuredContent"]["timed_out"] is True
    assert after.status_code == 200  # slots are given back


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_request_past_the_deadline_is_cancelled_with_32001(limited: RunningServer, mode: str) -> None:
    session_id = await requested_session(limited.url)
    async with Client(streamable_http_client(limited.url), mode=mode) as client:  # type: ignore[arg-type]
        with anyio.fail_after(30), pytest.raises(MCPError) as late:
            await client.call_tool("session_wait", {"session_ids": [session_id], "timeout_s": 20})
        assert late.value.error.code == -32001
        assert "3s" in late.value.error.message
        quick = await client.call_tool("task_list", {})
        assert quick.is_error is False


def test_non_loopback_without_auth_is_refused_before_anything(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    for host in ("0.0.0.0", "::"):
        proc = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--transport", "http", "--host", host,
                               "--workspace", str(workspace)], capture_output=True, text=True, timeout=60,
                              env=clean_env(), stdin=subprocess.DEVNULL, check=False)
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"orchestra-mcp: http_config_invalid: binding {host} (not a loopback")
        assert "--auth" in proc.stderr and "Traceback" not in proc.stderr
    assert not (workspace / ".agent-workflow").exists()


def test_http_options_need_the_http_transport(tmp_path: Path) -> None:
    proc = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--port", "9000"], capture_output=True, text=True,
                          timeout=60, env=clean_env(), stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 2 and "--port needs --transport http" in proc.stderr
    cli = subprocess.run([str(BIN_DIR / "orchestra"), "serve", "--port", "9000"], capture_output=True, text=True,
                         timeout=60, env=clean_env(), stdin=subprocess.DEVNULL, check=False)
    assert cli.returncode == 2 and "--port needs --http" in cli.stderr


def test_a_taken_port_is_one_clean_line(server: RunningServer, tmp_path: Path) -> None:
    proc = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--transport", "http", "--port", str(server.port),
                           "--workspace", str(make_workspace(tmp_path))], capture_output=True, text=True,
                          timeout=60, env=clean_env(), stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"orchestra-mcp: http_config_invalid: cannot listen on 127.0.0.1:{server.port}")


async def test_orchestra_serve_http_serves_the_workspace(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    running = start_server(workspace, command=[str(BIN_DIR / "orchestra"), "serve", "--http"])
    try:
        banner = running.stderr()
        assert f'{{"type": "http", "url": "{running.url}"}}' in banner
        assert f"claude mcp add --transport http --scope project orchestra {running.url}" in banner
        async with Client(streamable_http_client(running.url), mode="legacy") as client:
            status = await client.call_tool("workspace_status", {})
            assert status.is_error is True  # not initialized: reading creates nothing
            assert not (workspace / ".agent-workflow").exists()
    finally:
        assert running.terminate() == 0
