"""Running the media probe in a worker process with a time limit (PyAV never loads in the server).

One worker per runner, started on the first probe and reused; a probe that does not answer within the
time limit kills the worker (the next probe starts a fresh one). A crash on a hostile file is reported
as ``media_probe_failed`` instead of taking the server down.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from orchestra.media.errors import MediaProbeFailedError, MissingMediaProbeError

MAX_ANSWER_BYTES = 256 * 1024
SPAWN_ALLOWANCE_S = 30.0
"""Extra time for the first answer of a fresh worker (Python start and PyAV import on a loaded machine)."""


def probe_available() -> bool:
    """Whether PyAV is installed (checked without importing it)."""
    return importlib.util.find_spec("av") is not None


class ProbeRunner:
    """A reusable, killable probe worker. Thread-safe; probes are serialised."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.spawns = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def probe(self, path: Path, container: str, identity: tuple[int, int] | None = None) -> dict[str, Any]:
        """The worker's answer for ``path`` opened with demuxer ``container``; raises coded errors.

        With ``identity`` (device, inode) the worker refuses a file that is not that one (replaced or
        swapped for a symlink after the server checked it)."""
        if not probe_available():
            raise MissingMediaProbeError("media preflight needs PyAV: pip install 'orchestra-mcp[media]'",
                                         field="tools.av")
        with self._lock:
            deadline = time.monotonic() + self.timeout_s
            proc = self._ensure_started(deadline)
            request: dict[str, Any] = {"path": str(path), "format": container, "timeout_s": self.timeout_s}
            if identity is not None:
                request["identity"] = list(identity)
            try:
                assert proc.stdin is not None
                proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self._stop()
                raise MediaProbeFailedError("the media probe worker stopped unexpectedly", field="probe") from None
            answer = self._read_answer(deadline)
        if answer is None:
            raise MediaProbeFailedError(f"the media probe did not finish within {self.timeout_s:g} s "
                                        "(the file was not accepted)", field="probe", details={"reason": "timeout"})
        return answer

    def _ensure_started(self, deadline: float) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        self._buffer = b""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "orchestra.media.probe_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, bufsize=0, close_fds=True, cwd=os.path.abspath(os.sep),
        )
        self.spawns += 1
        hello = self._read_answer(deadline + SPAWN_ALLOWANCE_S)
        if hello is None or not hello.get("ready"):
            self._stop()
            if hello is not None:
                raise MissingMediaProbeError(str(hello.get("message", "PyAV is not usable")), field="tools.av")
            raise MediaProbeFailedError("the media probe worker did not start", field="probe")
        return self._proc

    def _read_answer(self, deadline: float) -> dict[str, Any] | None:
        """One JSON line from the worker, or None (after killing it) on timeout, crash or garbage."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or len(self._buffer) > MAX_ANSWER_BYTES:
                    self._stop()
                    return None
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    self._stop()
                    raise MediaProbeFailedError("the media probe stopped while reading this file (it may be "
                                                "damaged or hostile)", field="probe", details={"reason": "crash"})
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer: dict[str, Any] = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._stop()
            return None
        return answer

    def _stop(self, *, graceful: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        if graceful:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def close(self) -> None:
        """Stop the worker (it also stops by itself when the server's end of its stdin closes)."""
        with self._lock:
            self._stop(graceful=True)
