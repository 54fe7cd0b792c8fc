"""Reading a hook's stdin without waiting on a terminal or past a deadline (standard library only)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO


def read_bounded(stream: BinaryIO, size: int, timeout: float, *, chunk: int = 65_536) -> bytes:
    """At most ``size`` bytes of ``stream``, returning early at EOF or when ``timeout`` seconds pass."""
    if os.name != "posix":
        return stream.read(size)
    import select
    import time

    fd = stream.fileno()
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    total = 0
    while total < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        data = os.read(fd, min(chunk, size - total))
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)
