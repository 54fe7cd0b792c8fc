"""Helpers for the fault tests: the real stdio server, raw JSON-RPC, mounts when the test runs as root."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters

from tests.helpers import BIN_DIR, clean_env

INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "fault", "version": "0"}}}
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CAN_MOUNT = IS_ROOT and shutil.which("mount") is not None and shutil.which("umount") is not None


def server_params(workspace: Path, *extra: str) -> StdioServerParameters:
    """The installed ``orchestra-mcp`` on ``workspace``, as a host launches it."""
    return StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"),
                                 args=["--workspace", str(workspace), *extra], env=clean_env(), cwd=str(workspace))


def error_text(result: Any) -> str:
    """The text of a failed tool call."""
    assert result.is_error is True, result.structured_content
    text: str = result.content[0].text
    return text


class RawServer:
    """``orchestra-mcp`` as a subprocess spoken to in raw JSON-RPC lines (so it can be SIGKILLed mid-call)."""

    def __init__(self, workspace: Path, *extra: str) -> None:
        self.proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace), *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=clean_env())
        self._lines: queue.Queue[bytes] = queue.Queue()
        stdout = self.proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [self._lines.put(x) for x in iter(stdout.readline, b"")], daemon=True).start()
        self.send(INIT)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert self.reply()["id"] == 0

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def call(self, request_id: int, tool: str, arguments: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                   "params": {"name": tool, "arguments": arguments}})

    def reply(self, timeout: float = 60) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self._lines.get(timeout=timeout))  # a bound against hangs
        return message

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)

    def close(self) -> bytes:
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return self.proc.stderr.read()


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at ``path`` (root only), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` made read-only for real: a read-only bind mount as root (chmod does not stop root), else chmod."""
    if CAN_MOUNT:
        view = path.with_name(path.name + "-ro")
        view.mkdir()
        subprocess.run(["mount", "--bind", str(path), str(view)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            yield view
        finally:
            subprocess.run(["umount", "-l", str(view)], check=False)
        return
    modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
    for p, mode in modes.items():
        p.chmod(mode & ~0o222)
    try:
        yield path
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
