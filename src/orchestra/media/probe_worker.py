"""The media probe worker process: FFmpeg's libraries (PyAV) run here, never in the server.

Protocol: after importing PyAV it prints ``{"ready": true, ...}``; then for each JSON request line on
stdin (``{"path", "format", "timeout_s"}``) it prints one JSON answer line on stdout. It reads container
metadata and demuxes a few packets at the start and near the declared end; it never decodes. A crash,
hang or memory blow-up on a hostile file ends this process, not the server (which kills it on timeout).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from typing import Any

MAX_STREAMS = 32
TAIL_WINDOW_US = 3_000_000
MAX_TAIL_PACKETS = 5000
ADDRESS_SPACE_LIMIT = 4 << 30


def _limit_memory() -> None:
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = ADDRESS_SPACE_LIMIT if hard == resource.RLIM_INFINITY else min(hard, ADDRESS_SPACE_LIMIT)
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _codec_name(stream: Any) -> str:
    """FFmpeg's canonical codec name (``mp3``, not the decoder's ``mp3float``)."""
    for path in (("codec_context", "codec", "canonical_name"), ("codec_context", "name")):
        value: Any = stream
        with contextlib.suppress(Exception):
            for attribute in path:
                value = getattr(value, attribute)
            if value:
                return str(value)
    return "unknown"


def _ms(value: Any, time_base: Any) -> int | None:
    if value is None or time_base is None:
        return None
    return int(value * time_base * 1000)


def _stream(stream: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"index": int(stream.index), "type": str(stream.type), "codec": _codec_name(stream),
                            "duration_ms": _ms(stream.duration, stream.time_base)}
    context = stream.codec_context
    with contextlib.suppress(Exception):
        if stream.type == "audio":
            info["sample_rate"] = int(context.sample_rate or 0) or None
            info["channels"] = int(context.channels or 0) or None
        elif stream.type == "video":
            info["width"] = int(context.width or 0) or None
            info["height"] = int(context.height or 0) or None
    return info


def _packet_end_ms(packet: Any) -> int | None:
    if packet.pts is None or packet.time_base is None:
        return None
    return _ms(packet.pts + (packet.duration or 0), packet.time_base)


def _tail_end(container: Any, duration_us: int, deadline: float) -> tuple[int | None, str | None]:
    """The latest packet end found after seeking near the declared end (None: no data there)."""
    try:
        container.seek(max(0, duration_us - TAIL_WINDOW_US), backward=True, any_frame=True)
    except Exception as exc:
        return None, f"seek near the end failed ({type(exc).__name__})"
    best: int | None = None
    try:
        for count, packet in enumerate(container.demux()):
            end = _packet_end_ms(packet)
            if end is not None and packet.size:
                best = end if best is None else max(best, end)
            if count >= MAX_TAIL_PACKETS or (count % 100 == 0 and time.monotonic() > deadline):
                break
    except Exception as exc:
        return best, f"read near the end failed ({type(exc).__name__})"
    return best, None


def probe(request: dict[str, Any]) -> dict[str, Any]:
    """Probe one file; every failure is an answer, never an exception."""
    import av

    timeout = float(request.get("timeout_s", 10.0))
    deadline = time.monotonic() + timeout
    try:
        fd = os.open(str(request["path"]), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return {"ok": False, "reason": "changed", "message": "the file cannot be opened any more"}
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if [info.st_dev, info.st_ino] != list(request.get("identity", [info.st_dev, info.st_ino])):
            return {"ok": False, "reason": "changed", "message": "the file was replaced after it was checked"}
        # FFmpeg reads the very file the server checked: through /proc/self/fd on Linux (native I/O), else
        # through the Python file object.
        magic = f"/proc/self/fd/{fd}"
        source: Any = magic if os.path.exists(magic) else handle
        try:
            container = av.open(source, "r", format=str(request["format"]), timeout=(timeout, timeout),
                                container_options={"protocol_whitelist": "file"}, metadata_errors="ignore")
        except Exception as exc:
            return {"ok": False, "reason": "open_failed", "message": _reason(exc)}
        return _read(container, deadline)


def _read(container: Any, deadline: float) -> dict[str, Any]:
    """Streams, duration, first packet and tail of an open container."""
    with container:
        streams = [_stream(s) for s in list(container.streams)[:MAX_STREAMS]]
        if not streams:
            return {"ok": False, "reason": "no_streams", "message": "no audio or video streams"}
        duration_us = container.duration
        if not duration_us:
            known = [s["duration_ms"] for s in streams if s["duration_ms"]]
            duration_us = max(known) * 1000 if known else None
        first = None
        try:
            for packet in container.demux():
                if packet.size:
                    first = packet
                    break
        except Exception as exc:
            return {"ok": False, "reason": "read_failed", "message": _reason(exc)}
        if first is None:
            return {"ok": False, "reason": "no_packets", "message": "the file holds no media data"}
        tail_end, tail_problem = (None, None)
        if duration_us:
            tail_end, tail_problem = _tail_end(container, int(duration_us), deadline)
        return {
            "ok": True, "format": str(container.format.name), "duration_ms": int(duration_us // 1000)
            if duration_us else None, "streams": streams, "tail_end_ms": tail_end, "tail_problem": tail_problem,
            "maxrss_kb": _peak_rss_kb(),
        }


def _peak_rss_kb() -> int:
    """This process's peak RSS. ``ru_maxrss`` would include the server's (Linux keeps it across exec)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii",
                                                         errors="replace") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or type(exc).__name__
    return str(text)[:200]


def _write(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Serve probe requests until stdin closes."""
    _limit_memory()
    try:
        import av

        with contextlib.suppress(Exception):
            av.logging.set_level(None)
    except Exception as exc:
        _write({"ready": False, "message": f"PyAV is not importable ({type(exc).__name__})"})
        return 1
    _write({"ready": True, "av": str(av.__version__)})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = probe(request)
        except Exception as exc:
            answer = {"ok": False, "reason": "worker_error", "message": type(exc).__name__}
        _write(answer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
