"""Malformed JSON-RPC lines get an error reply and the server lives on (issue 14 item 10)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.helpers import BIN_DIR, clean_env

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}

# (raw line, expected error code, expected id)
CASES: list[tuple[bytes, int, Any]] = [
    (b'{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"\\ud800"}}', -32700, 7),
    (b'{"jsonrpc":"2.0","id":' + b"9" * 4400 + b',"method":"ping"}', -32700, None),
    (b"[" * 100_000 + b"]" * 100_000, -32700, None),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, -32700, None),
    (b"this is not json", -32700, None),
    (b"\xff\xfe garbage bytes \x00", -32700, None),
    (b'[{"jsonrpc":"2.0","id":8,"method":"ping"},{"jsonrpc":"2.0","id":9,"method":"ping"}]', -32600, None),
    (b'{"jsonrpc":"2.0","id":"req-10","method":5}', -32600, "req-10"),
    (b'{"jsonrpc":"1.0","id":11,"method":"ping"}', -32600, 11),
    (b'"just a string"', -32600, None),
]


class _Lines:
    """Lines from the server's stdout, read on a thread so a missing reply fails instead of hanging."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._queue: queue.Queue[bytes] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [self._queue.put(line) for line in iter(stdout.readline, b"")],
                         daemon=True).start()

    def next(self) -> dict[str, Any]:
        try:
            line = self._queue.get(timeout=60)  # a safety bound against a hang, not a timing assertion
        except queue.Empty:
            raise AssertionError("no reply from the server") from None
        message: dict[str, Any] = json.loads(line)
        return message


def test_every_malformed_line_gets_a_reply_and_the_server_stays_up(workspace: Path) -> None:
    proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    assert proc.stdin is not None
    lines = _Lines(proc)
    try:
        proc.stdin.write(json.dumps(INIT).encode() + b"\n")
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.flush()
        assert lines.next()["id"] == 1
        for n, (raw, code, request_id) in enumerate(CASES):
            proc.stdin.write(raw + b"\n")
            proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1000 + n, "method": "ping"}).encode() + b"\n")
            proc.stdin.flush()
            reply = lines.next()
            assert reply.get("error", {}).get("code") == code, (raw[:60], reply)
            assert reply["id"] == request_id, raw[:60]
            assert "result" not in reply
            pong = lines.next()  # the server is still alive and answering
            assert pong == {"jsonrpc": "2.0", "id": 1000 + n, "result": {}}
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "task_add", "arguments": {"id": "M1", "title": "after the noise"}}}).encode() + b"\n")
        proc.stdin.flush()
        assert lines.next()["result"]["structuredContent"]["id"] == "M1"
        proc.stdin.close()
        proc.wait(timeout=60)
        assert proc.stderr is not None
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert b"Traceback" not in stderr
