"""Atomic file writes: a temp file in the same folder, then a rename (replace) or a hard link (exclusive).

Temp files are named ``.<name>.<pid>.<random>.tmp`` so a sweep can tell a live writer's from a dead one's.
An ``OSError`` meaning "no space" (ENOSPC, EDQUOT, EFBIG) becomes :class:`DiskFullError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from orchestra.errors import ConflictError, DiskFullError, disk_full_error

TMP_SUFFIX = ".tmp"


class FileExistsConflictError(ConflictError):
    """An exclusive create found the file already there (another call owns it)."""

    code = "file_exists"


def temp_path(path: Path) -> Path:
    """A fresh temp name beside ``path`` that carries this process's id."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}{TMP_SUFFIX}")


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a torn one."""
    with _disk_full():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _write_temp(path, data, mode=mode, sync=True)
        try:
            os.replace(tmp, path)
        except BaseException:
            _unlink(tmp)
            raise
        fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """UTF-8 text variant of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def create_exclusive(path: Path, data: bytes, *, sync: bool, mode: int = 0o644) -> None:
    """Create ``path`` holding ``data``; fail with ``file_exists`` if it is already there.

    The file appears complete or not at all (a hard link of a finished temp file, which fails
    when the name exists, like ``O_EXCL``); nothing existing is ever replaced. ``sync`` fsyncs
    the data first; the folder is not fsynced here (call :func:`fsync_dir` once for a batch).
    """
    with _disk_full():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _write_temp(path, data, mode=mode, sync=sync)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise FileExistsConflictError(f"{path.name} already exists; nothing was replaced") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            _create_without_links(tmp, path)  # a filesystem without hard links
        finally:
            _unlink(tmp)


def create_unpublished(path: Path, data: bytes, *, sync: bool = False, mode: int = 0o644) -> None:
    """Create ``path`` with ``O_EXCL`` and write ``data`` in place (``file_exists`` if the name is taken).

    One system call instead of a temp file and a link, for files nobody can find until the caller
    publishes their name (for example by committing the row that names them): no reader can see them
    half-written. A failed write removes the file it created.
    """
    with _disk_full():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise FileExistsConflictError(f"{path.name} already exists; nothing was replaced") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if sync:
                    handle.flush()
                    os.fsync(handle.fileno())
        except BaseException:
            _unlink(path)
            raise


def fsync_dir(folder: Path) -> None:
    """Make the names created in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    with _disk_full():
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, data: bytes, *, mode: int, sync: bool) -> Path:
    tmp = temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _create_without_links(tmp: Path, path: Path) -> None:
    """Reserve the name with ``O_EXCL``, then move the finished temp file over our own reservation."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.replace(tmp, path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def _disk_full() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        full = disk_full_error(exc)
        if full is None:
            raise
        raise full from None


__all__ = ["DiskFullError", "FileExistsConflictError", "atomic_write_bytes", "atomic_write_text",
           "create_exclusive", "create_unpublished", "fsync_dir", "temp_path"]
