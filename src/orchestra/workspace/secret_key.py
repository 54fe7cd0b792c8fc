"""The workspace secret: a random key (for HMAC digests) created once, readable only by its owner."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from orchestra.errors import WorkspaceError

KEY_BYTES = 32


def load_key(path: Path) -> bytes | None:
    """The key at ``path``, or ``None`` when there is none yet (reading never creates one)."""
    try:
        return _read(path)
    except FileNotFoundError:
        return None


def load_or_create_key(path: Path, *, new_key: bytes | None = None) -> bytes:
    """Read the key at ``path``, creating it atomically (first writer wins) when absent.

    ``new_key`` is what to store when creating it (a key this process already used in memory);
    the returned key is the one on disk, which differs when another process created it first.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, new_key if new_key is not None else secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and fails when another process created it first
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return _read(path)


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise WorkspaceError(
            f"the workspace key {path.name} is damaged ({len(data)} bytes); move it away to regenerate"
        )
    return data
