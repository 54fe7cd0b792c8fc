"""Two hosted server processes on one data dir: the rate limit and the concurrency limit hold across
them, and a killed server's slots come back after the lease expiry."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from orchestra.hosted.control import ControlStore
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import MCP_HEADERS, HostedServer, initialize_body, start_server

pytestmark = pytest.mark.slow


def _token(data_dir: Path) -> str:
    control = ControlStore(data_dir / "control.db")
    token = TokenService(control, TokenService.open_key(data_dir)).create("acme", "web", "write", "1d").token
    control.close()
    return token


def _post(server: HostedServer, token: str, content: object = None) -> httpx2.Response:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    body = content if content is not None else json.dumps(initialize_body()).encode()
    return httpx2.post(server.url, content=body, headers=headers, timeout=60)  # type: ignore[arg-type]


def _live_leases(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "control.db", timeout=10) as conn:
        row = conn.execute("SELECT count(*) FROM admission_leases WHERE expires_at > ?", (time.time(),)).fetchone()
    return int(row[0])


def _wait_for(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


class SlowBody:
    """A request body sent in two parts; the second only once ``go`` is set (the request is in flight
    meanwhile, holding its concurrency slot)."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.data = json.dumps(initialize_body()).encode()

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[:10]
        self.go.wait(60)
        yield self.data[10:]


@pytest.fixture
def pair(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[HostedServer, HostedServer]]:
    extra: tuple[str, ...] = request.param
    first = start_server(tmp_path, *extra)
    try:
        second = start_server(tmp_path, *extra)
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()


@pytest.mark.parametrize("pair", [("--rate", "10", "--period", "3600", "--concurrency", "50")], indirect=True)
def test_rate_limit_holds_across_two_servers(pair: tuple[HostedServer, HostedServer]) -> None:
    token = _token(pair[0].data_dir)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda i: _post(pair[i % 2], token), range(24)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 14, statuses
    refused = [r for r in responses if r.status_code == 429]
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert all(r.json()["error"] == "rate_limited" for r in refused)


@pytest.mark.parametrize("pair", [("--concurrency", "3", "--lease-ttl", "3", "--rate", "1000")], indirect=True)
def test_concurrency_limit_holds_across_two_servers_and_a_killed_one_frees_its_slots(
        pair: tuple[HostedServer, HostedServer]) -> None:
    first, second = pair
    data_dir = first.data_dir
    token = _token(data_dir)
    bodies = [SlowBody() for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pending = [pool.submit(_post, server, token, body)
                   for server, body in zip((first, second, first), bodies, strict=True)]
        _wait_for(lambda: _live_leases(data_dir) == 3)
        for server in (first, second):
            busy = _post(server, token)
            assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
            assert "concurrent" in busy.json()["message"]
        for body in bodies:
            body.go.set()
        assert [f.result().status_code for f in pending] == [200, 200, 200]
    _wait_for(lambda: _live_leases(data_dir) == 0, timeout=10)  # released on completion
    assert _post(second, token).status_code == 200

    # a server killed mid-request leaves its leases; they expire after --lease-ttl
    held = [SlowBody() for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        doomed = [pool.submit(_post, second, token, body) for body in held]
        _wait_for(lambda: _live_leases(data_dir) == 3)
        second.process.kill()
        second.process.wait(timeout=10)
        for body in held:
            body.go.set()
        for future in doomed:
            with pytest.raises(httpx2.HTTPError):
                future.result()
    assert _post(first, token).status_code == 429  # the dead server's slots are still held ...
    _wait_for(lambda: _live_leases(data_dir) == 0, timeout=10)
    assert _post(first, token).status_code == 200  # ... until their expiry
