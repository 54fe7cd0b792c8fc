"""Starting ``orchestra-mcp --transport http`` as a subprocess on a free port, and talking raw HTTP to it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.helpers import BIN_DIR, clean_env

URL = re.compile(r"over streamable HTTP at (http://\S+)")
START_TIMEOUT_S = 90.0
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
LEGACY_VERSION = "2025-11-25"


@dataclass
class RunningServer:
    """A server subprocess: its endpoint URL, process and stderr file."""

    url: str
    proc: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def base(self) -> str:
        """``http://host:port`` without the path."""
        return self.url.rsplit("/", 1)[0]

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.base.rsplit(":", 1)[1])

    def stderr(self) -> str:
        """Everything the server wrote on stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit status (SIGKILL and fail when it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"server did not stop within {timeout}s; stderr:\n{self.stderr()}") from None


def start_server(workspace: Path, *extra: str, command: Sequence[str] | None = None,
                 env: dict[str, str] | None = None) -> RunningServer:
    """Start the server on port 0 and wait for the banner that names its URL."""
    stderr_path = workspace.parent / f"http-stderr-{time.monotonic_ns()}.log"
    argv = list(command) if command else [str(BIN_DIR / "orchestra-mcp"), "--transport", "http"]
    argv += ["--workspace", str(workspace), "--port", "0", *extra]
    with stderr_path.open("wb") as sink:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink,
                                env=env or clean_env(), cwd=str(workspace))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = stderr_path.read_text(encoding="utf-8", errors="replace")
        found = URL.search(text)
        if found:
            return RunningServer(found.group(1), proc, stderr_path)
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{text}")
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=10)
    raise AssertionError(f"server did not print its URL within {START_TIMEOUT_S}s")


@contextmanager
def http_server(workspace: Path, *extra: str) -> Iterator[RunningServer]:
    """A running server, stopped (SIGTERM, exit 0 asserted) afterwards."""
    server = start_server(workspace, *extra)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            code = server.terminate()
            assert code == 0, server.stderr()


def initialize(client: httpx2.Client, url: str) -> str:
    """A raw legacy handshake; the session id."""
    response = client.post(url, headers=HEADERS, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": LEGACY_VERSION, "capabilities": {},
                   "clientInfo": {"name": "raw-test", "version": "0"}}})
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    done = client.post(url, headers=session_headers(session),
                       json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert done.status_code == 202, done.text
    return session


def session_headers(session: str) -> dict[str, str]:
    """Headers of a request inside a legacy session."""
    return {**HEADERS, "mcp-session-id": session, "mcp-protocol-version": LEGACY_VERSION}


def sse_messages(text: str) -> list[dict[str, Any]]:
    """The JSON-RPC messages of an SSE (or plain JSON) response body."""
    if text.lstrip().startswith("{"):
        return [json.loads(text)]
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and line[5:].strip()]


def tool_call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tools/call request."""
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


def pid_alive(pid: int) -> bool:
    """Whether a process exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def make_workspace(root: Path) -> Path:
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / ".git").mkdir()
    return workspace


async def requested_session(url: str) -> str:
    """A task with a spawned ('requested') session, whose session_wait takes its whole timeout."""
    async with Client(streamable_http_client(url), mode="legacy") as client:
        task = await client.call_tool("task_add", {"title": "slow wait"})
        assert task.structured_content is not None
        spawned = await client.call_tool("spawn_request", {"task_id": task.structured_content["id"],
                                                           "runtime": "claude-cli"})
        assert spawned.is_error is False, spawned.content
        return str(json.loads(spawned.content[0].text)["session_id"])  # type: ignore[union-attr]
