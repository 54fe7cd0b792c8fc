"""Reading sources: bounded memory, binary detection, tolerant decoding, line splitting."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

FULL_READ_LIMIT = 4 * 1024 * 1024
BINARY_PROBE_BYTES = 8192
STREAM_KEEP_LINES = 64


@dataclass
class SourceText:
    """What was read from one source.

    ``lines`` is the whole text for normal files; for files over ``FULL_READ_LIMIT``
    it holds only the first and last ``STREAM_KEEP_LINES`` lines and ``truncated_read``
    is true (``total_lines`` still counts every line).
    """

    lines: list[str]
    total_lines: int
    total_bytes: int
    sha256: str
    binary: bool = False
    decoding_replaced: bool = False
    truncated_read: bool = False
    tail: list[str] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """The original's rule: CRLF → LF, one trailing newline is not a line, ``""`` is one line."""
    text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def from_string(text: str) -> SourceText:
    """A source given as text rather than a file."""
    data = text.encode("utf-8", errors="replace")
    lines = split_lines(text)
    return SourceText(lines, len(lines), len(data), hashlib.sha256(data).hexdigest())


def read_file(path: Path) -> SourceText:
    """Read ``path``; huge files are streamed, keeping only head and tail lines."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        probe = handle.read(BINARY_PROBE_BYTES)
        if b"\x00" in probe:
            digest = hashlib.sha256(probe)
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
            return SourceText([], 0, size, digest.hexdigest(), binary=True)
        if size <= FULL_READ_LIMIT:
            data = probe + handle.read()
            text, replaced = _decode(data)
            lines = split_lines(text)
            return SourceText(lines, len(lines), len(data), hashlib.sha256(data).hexdigest(),
                              decoding_replaced=replaced)
        handle.seek(0)
        return _stream(handle)


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def _stream(handle: object) -> SourceText:
    digest = hashlib.sha256()
    head: list[str] = []
    tail: deque[str] = deque(maxlen=STREAM_KEEP_LINES)
    count, total, replaced, last = 0, 0, False, b""
    for raw in handle:  # type: ignore[attr-defined]
        line_bytes: bytes = raw
        digest.update(line_bytes)
        total += len(line_bytes)
        last = line_bytes
        text, bad = _decode(line_bytes.rstrip(b"\n").rstrip(b"\r"))
        replaced = replaced or bad
        count += 1
        if len(head) < STREAM_KEEP_LINES:
            head.append(text)
        else:
            tail.append(text)
    if last.endswith(b"\n") is False and count == 0:
        count = 1
    return SourceText(head, count, total, digest.hexdigest(), decoding_replaced=replaced, truncated_read=True,
                      tail=list(tail))
