"""Issue 14 item 6: a huge file with no newline costs the server its budget, not its size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BIN_DIR, clean_env

FILE_MIB = 300
GROWTH_BOUND_KIB = 200 * 1024  # a safety bound: reading the line whole would cost well over 600 MiB


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def _rpc(proc: subprocess.Popen[str], message: dict[str, object]) -> dict[str, object]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()
    reply: dict[str, object] = json.loads(proc.stdout.readline())
    return reply


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS is read from /proc (Linux only)")
def test_single_line_file_keeps_server_memory_bounded(workspace: Path) -> None:
    chunk = b"x" * (1 << 20)
    with (workspace / "one-line.min.js").open("wb") as handle:
        for _ in range(FILE_MIB):
            handle.write(chunk)
    proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env())
    try:
        _rpc(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "memory-test", "version": "0"}}})
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        added = _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "task_add", "arguments": {"id": "M1", "title": "memory", "ownership_paths": ["one-line.min.js"]}}})
        assert "result" in added
        before = _peak_rss_kib(proc.pid)
        reply = _rpc(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "context_bundle", "arguments": {"task_id": "M1", "role": "developer"}}})
        after = _peak_rss_kib(proc.pid)
    finally:
        proc.communicate(timeout=60)
    result = reply["result"]
    assert isinstance(result, dict) and result.get("isError") is False
    data = result["structuredContent"]
    file = next(f for f in data["files"] if f["path"] == "one-line.min.js")
    assert file["original_lines"] == 1 and file["strategy"] == "head-tail-truncation"
    assert data["final_bytes"] < 64 * 1024, "the bundle's cost follows its budget, not the file"
    assert after - before < GROWTH_BOUND_KIB, f"peak RSS grew by {(after - before) // 1024} MiB"
