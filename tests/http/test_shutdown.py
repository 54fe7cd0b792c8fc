"""Graceful shutdown of ``orchestra-mcp --transport http``: SIGTERM/SIGINT stop accepting, refuse new
requests, let the calls in flight finish (within the grace period) and exit 0."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from pathlib import Path

import anyio
import httpx2
import pytest

from tests.http.support import (
    HEADERS,
    RunningServer,
    make_workspace,
    requested_session,
    sse_messages,
    start_server,
    tool_call,
)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def wait_in_flight(http: httpx2.AsyncClient, server: RunningServer, count: int) -> None:
    with anyio.fail_after(30):
        while (await http.get(f"{server.base}/healthz")).json()["in_flight"] < count:
            await anyio.sleep(0.05)


async def open_session(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    """A raw legacy session; the headers of requests inside it."""
    init = await http.post(url, headers=HEADERS, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
    headers = {**HEADERS, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    return headers


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_during_a_slow_call_lets_it_finish_and_exits_0(tmp_path: Path, signum: int) -> None:
    server = start_server(make_workspace(tmp_path))
    try:
        session_id = await requested_session(server.url)
        results: list[httpx2.Response] = []
        async with httpx2.AsyncClient(timeout=60) as http, httpx2.AsyncClient(timeout=60) as other:
            headers = await open_session(http, server.url)
            await other.get(f"{server.base}/healthz")  # a keep-alive connection open before the signal

            async def slow() -> None:
                results.append(await http.post(server.url, headers=headers, json=tool_call(
                    1, "session_wait", {"session_ids": [session_id], "timeout_s": 3})))

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow)
                await wait_in_flight(other, server, 1)
                server.proc.send_signal(signum)
                with anyio.fail_after(10):  # the open connection now hears "draining"
                    while (health := await other.get(f"{server.base}/healthz")).status_code == 200:
                        await anyio.sleep(0.05)
                assert health.json()["status"] == "draining"
                late = await other.post(server.url, headers=headers, json=tool_call(5, "task_list", {}))
                assert late.status_code == 503 and late.headers["retry-after"] == "1"
                assert json.loads(late.text)["error"]["data"]["reason"] == "shutting_down"
        assert results[0].status_code == 200
        answer = sse_messages(results[0].text)[-1]
        assert answer["id"] == 1 and answer["result"]["isError"] is False
        assert answer["result"]["structuredContent"]["timed_out"] is True  # it ran its full 3 seconds
        assert await anyio.to_thread.run_sync(lambda: server.proc.wait(timeout=60)) == 0
        assert "waiting up to 30s for 1 request(s) in flight" in server.stderr()
        assert "cut off" not in server.stderr()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()


async def test_calls_still_running_after_the_grace_period_are_cut_off(tmp_path: Path) -> None:
    server = start_server(make_workspace(tmp_path), "--shutdown-grace", "1")
    try:
        session_id = await requested_session(server.url)
        async with httpx2.AsyncClient(timeout=60) as http:
            headers = await open_session(http, server.url)

            async def stuck() -> None:
                with contextlib.suppress(httpx2.HTTPError):  # the stream is cut when the grace period ends
                    await http.post(server.url, headers=headers, json=tool_call(
                        1, "session_wait", {"session_ids": [session_id], "timeout_s": 40}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(stuck)
                await wait_in_flight(http, server, 1)
                started = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)
                code = await anyio.to_thread.run_sync(lambda: server.proc.wait(timeout=60))
                elapsed = time.monotonic() - started
        assert code == 0
        assert elapsed < 30, elapsed  # far less than the call's 40 s
        assert "1 request(s) still in flight after the grace period are cut off" in server.stderr()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
