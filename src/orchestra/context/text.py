"""Reading sources: bounded memory, binary detection, tolerant decoding, line splitting."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

FULL_READ_LIMIT = 4 * 1024 * 1024
BINARY_PROBE_BYTES = 8192
STREAM_KEEP_LINES = 64
CHUNK_BYTES = 1 << 20
MAX_KEPT_LINE_BYTES = 8192
LINE_CUT_MARK = " [... line cut ...]"


@dataclass
class SourceText:
    """What was read from one source.

    ``lines`` is the whole text for normal files; for files over ``FULL_READ_LIMIT``
    it holds only the first and last ``STREAM_KEEP_LINES`` lines and ``truncated_read``
    is true (``total_lines`` still counts every line). ``data`` keeps the bytes of a file
    read whole (for the parser).
    """

    lines: list[str]
    total_lines: int
    total_bytes: int
    sha256: str
    binary: bool = False
    decoding_replaced: bool = False
    truncated_read: bool = False
    tail: list[str] = field(default_factory=list)
    data: bytes | None = None


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


def from_bytes(data: bytes) -> SourceText:
    """A text file read whole (at most ``FULL_READ_LIMIT`` bytes, no NUL in its first 8 KiB)."""
    text, replaced = _decode(data)
    lines = split_lines(text)
    return SourceText(lines, len(lines), len(data), hashlib.sha256(data).hexdigest(), decoding_replaced=replaced,
                      data=data)


def read_file(path: Path) -> SourceText:
    """Read ``path`` in bounded chunks; files over ``FULL_READ_LIMIT`` keep only head and tail lines.

    Memory is bounded whatever the file holds: at most ``FULL_READ_LIMIT`` bytes are held
    for a normal file, and a streamed file keeps at most ``STREAM_KEEP_LINES`` lines of at
    most ``MAX_KEPT_LINE_BYTES`` bytes each at either end (a file with no newline is one
    line, cut). The line count and sha256 always cover the whole file.
    """
    with path.open("rb") as handle:
        probe = handle.read(BINARY_PROBE_BYTES)
        if b"\x00" in probe:
            digest = hashlib.sha256(probe)
            size = len(probe)
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
            return SourceText([], 0, size, digest.hexdigest(), binary=True)
        rest = handle.read(FULL_READ_LIMIT + 1 - len(probe))  # bounded even if the file grows meanwhile
        data = probe + rest
        if len(data) <= FULL_READ_LIMIT:
            text, replaced = _decode(data)
            lines = split_lines(text)
            return SourceText(lines, len(lines), len(data), hashlib.sha256(data).hexdigest(),
                              decoding_replaced=replaced, data=data)
        handle.seek(0)
        return _stream(handle)


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


class _LineKeeper:
    """Counts lines and keeps the first and last few, each cut to ``MAX_KEPT_LINE_BYTES``."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=STREAM_KEEP_LINES)
        self.count = 0
        self.replaced = False
        self._prefix = bytearray()
        self._cut = False

    def feed(self, piece: bytes) -> None:
        """Part of the current line (no newline inside)."""
        room = MAX_KEPT_LINE_BYTES - len(self._prefix)
        if room > 0:
            self._prefix += piece[:room]
        if len(piece) > room:
            self._cut = True

    def end_line(self) -> None:
        """The current line is complete."""
        raw = bytes(self._prefix)
        if raw.endswith(b"\r") and not self._cut:
            raw = raw[:-1]
        if self._cut:
            raw = _utf8_boundary(raw)
        text, bad = _decode(raw)
        if self._cut:
            text += LINE_CUT_MARK
        self.replaced = self.replaced or bad
        self.count += 1
        if len(self.head) < STREAM_KEEP_LINES:
            self.head.append(text)
        else:
            self.tail.append(text)
        self._prefix.clear()
        self._cut = False

    @property
    def pending(self) -> bool:
        return bool(self._prefix) or self._cut


def _utf8_boundary(raw: bytes) -> bytes:
    """Drop an incomplete UTF-8 sequence left at the end by a cut."""
    for back in range(1, min(4, len(raw)) + 1):
        byte = raw[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): is its sequence complete?
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return raw if need <= back else raw[:-back]
    return raw


def _stream(handle: BinaryIO) -> SourceText:
    digest = hashlib.sha256()
    keeper = _LineKeeper()
    total = 0
    while chunk := handle.read(CHUNK_BYTES):
        digest.update(chunk)
        total += len(chunk)
        start = 0
        while (newline := chunk.find(b"\n", start)) != -1:
            keeper.feed(chunk[start:newline])
            keeper.end_line()
            start = newline + 1
        if start < len(chunk):
            keeper.feed(chunk[start:])
    if keeper.pending:
        keeper.end_line()
    return SourceText(keeper.head, keeper.count, total, digest.hexdigest(), decoding_replaced=keeper.replaced,
                      truncated_read=True, tail=list(keeper.tail))
