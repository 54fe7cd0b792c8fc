"""Running the hosted server in a subprocess on a free port, and MCP clients that talk to it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.helpers import clean_env


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HostedServer:
    """One server process."""

    process: subprocess.Popen[str]
    port: int
    data_dir: Path

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The MCP endpoint."""
        return f"{self.base}/mcp"

    def stop(self) -> str:
        """Stop it (SIGTERM, then kill); its stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.stderr.read() if self.process.stderr else ""


def start_server(data_dir: Path, *extra: str, port: int | None = None, timeout: float = 60) -> HostedServer:
    """Start ``python -m orchestra_mcp.hosted`` and wait until ``/healthz`` answers."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestra_mcp.hosted", "--data-dir", str(data_dir), "--port", str(port), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )
    server = HostedServer(process, port, data_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hosted server exited: {server.stop()}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        time.sleep(0.1)
    raise RuntimeError(f"hosted server did not start: {server.stop()}")


@contextlib.contextmanager
def running(data_dir: Path, *extra: str) -> Iterator[HostedServer]:
    """A server for the block."""
    server = start_server(data_dir, *extra)
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def mcp_client(url: str, token: str, mode: str = "legacy") -> AsyncIterator[Client]:
    """An SDK client over streamable HTTP with a bearer token, whose user accepts what the server asks
    through elicitation (``chat_delete`` needs a person's approval; docs/approvals.md)."""
    from tests.surface_calls import person_approves

    async with (httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
                Client(streamable_http_client(url, http_client=http), mode=mode,  # type: ignore[arg-type]
                       elicitation_callback=person_approves) as client):
        yield client


def initialize_body() -> dict[str, Any]:
    """A raw handshake-era initialize request."""
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "raw", "version": "0"}}}


MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
