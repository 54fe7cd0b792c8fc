"""One HTTP entry point: ``orchestra-mcp --transport http`` is hosted mode when authentication is
configured (``--auth`` or ``ORCHESTRA_AUTH``), behind the transport's layers; refusals are one line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from orchestra.hosted.control import ControlStore
from orchestra.hosted.tokens import TokenService
from tests.helpers import BIN_DIR, clean_env
from tests.hosted.server import MCP_HEADERS, HostedServer, free_port, initialize_body, mcp_client

pytestmark = pytest.mark.anyio


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN_DIR / "orchestra-mcp"), *args], capture_output=True, text=True, timeout=60,
                          env=env or clean_env(), stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (("--transport", "http", "--rate", "5"), "--rate needs --auth"),
    (("--transport", "http", "--data-dir", "x"), "--data-dir needs --auth"),
    (("--auth", "tokens"), "--auth needs --transport http"),
    (("--transport", "http", "--auth", "tokens", "--workspace", "."), "--workspace serves one workspace"),
])
def test_hosted_options_are_refused_where_they_mean_nothing(args: tuple[str, ...], message: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_hosted_mode_needs_a_data_dir_and_a_valid_auth_env(tmp_path: Path) -> None:
    env = clean_env()
    env.pop("ORCHESTRA_DATA_DIR", None)
    proc = _run("--transport", "http", "--auth", "tokens", "--port", "0", env=env)
    assert proc.returncode == 2 and "needs --data-dir or ORCHESTRA_DATA_DIR" in proc.stderr
    proc = _run("--transport", "http", env={**env, "ORCHESTRA_AUTH": "basic"})
    assert proc.returncode == 1 and "ORCHESTRA_AUTH must be one of tokens, oauth" in proc.stderr
    assert not list(tmp_path.iterdir())


def _start(command: list[str], data_dir: Path, env: dict[str, str]) -> HostedServer:
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=env)
    server = HostedServer(process, port, data_dir)
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(server.stop())
        try:
            if httpx2.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(server.stop())


@pytest.mark.slow
@pytest.mark.parametrize("via", ["orchestra-mcp", "orchestra serve", "python -m orchestra_mcp.hosted"])
async def test_every_entry_serves_hosted_mode_behind_the_transport_layers(tmp_path: Path, via: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    control = ControlStore(data_dir / "control.db")
    token = TokenService(control, TokenService.open_key(data_dir)).create("acme", "web", "write", "1d").token
    control.close()
    env = clean_env()
    command = {"orchestra-mcp": [str(BIN_DIR / "orchestra-mcp"), "--transport", "http", "--auth", "tokens",
                                 "--data-dir", str(data_dir)],
               "orchestra serve": [str(BIN_DIR / "orchestra"), "serve", "--http"],
               "python -m orchestra_mcp.hosted": [sys.executable, "-m", "orchestra_mcp.hosted", "--data-dir",
                                                  str(data_dir)]}[via]
    if via == "orchestra serve":  # through the environment
        env.update(ORCHESTRA_AUTH="tokens", ORCHESTRA_DATA_DIR=str(data_dir))
    server = _start(command, data_dir, env)
    try:
        health = httpx2.get(f"{server.base}/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["open_scopes"] == 0  # the transport's health, with scopes
        refused = httpx2.post(server.url, json=initialize_body(), headers=MCP_HEADERS, timeout=10)
        assert refused.status_code == 401 and "resource_metadata=" in refused.headers["www-authenticate"]
        foreign = httpx2.post(server.url, json=initialize_body(), timeout=10,
                              headers={**MCP_HEADERS, "Authorization": f"Bearer {token}", "Host": "evil.example"})
        assert foreign.status_code == 421  # the transport's Host check runs before authentication
        async with mcp_client(server.url, token) as client:
            added = await client.call_tool("task_add", {"title": f"via {via}"})
            assert added.is_error is False, added.content
        assert json.loads(httpx2.get(f"{server.base}/healthz", timeout=10).text)["open_scopes"] == 1
    finally:
        stderr = server.stop()
    assert f"serving hosted scopes of {data_dir.resolve()}" in stderr and "Traceback" not in stderr
    assert server.process.returncode == 0  # SIGTERM: a graceful stop
