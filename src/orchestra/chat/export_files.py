"""Streaming export files: written piece by piece to a temp file, then fsynced and renamed into place.

Memory stays bounded however large the export; readers see no file or the whole file, never a
torn one; a failure removes the temp file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from types import TracebackType

from orchestra.workspace.atomic import temp_path


class AtomicStreamWriter:
    """Write text to ``path`` atomically in pieces; ``commit()`` publishes it, ``abort()`` discards it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temp_path(path)  # names the writer's pid, so the sweep on open can tell it is stale
        fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.bytes_written = 0

    def write(self, text: str) -> None:
        """Append ``text`` (UTF-8)."""
        data = text.encode("utf-8")
        self._handle.write(data)
        self._hash.update(data)
        self.bytes_written += len(data)

    @property
    def sha256(self) -> str:
        """Hex digest of what was written so far."""
        return self._hash.hexdigest()

    def commit(self) -> None:
        """Flush, fsync, rename over ``path`` and fsync the folder."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.chmod(self._tmp, 0o600)
        os.replace(self._tmp, self.path)
        if os.name == "posix":
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def abort(self) -> None:
        """Discard the temp file."""
        with contextlib.suppress(OSError):
            self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> AtomicStreamWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()
