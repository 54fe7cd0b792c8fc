"""What a crash can leave behind, checked and swept when a workspace is opened.

* A zero-length ``state.db`` beside evidence of history (the key plus spawn artifacts, exports or
  a ``-wal``) is refused: recreating it would silently start a fresh audit chain.
* Temp files (``.<name>.<pid>.<random>.tmp``) of a writer that is gone, or older than an hour, are removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path

from orchestra.errors import StoreUnusableError
from orchestra.workspace.layout import WorkspaceLayout

log = logging.getLogger("orchestra.workspace")

STALE_TMP_S = 3600.0
SWEPT_FOLDERS = ("", "runs", "handoffs", "exports", "keys", "runtime-sessions", "sessions", "context")
_TMP = re.compile(r"^\..+?(?:\.(?P<pid>\d+))?\.[0-9A-Za-z_]+\.tmp$")


def check_database_file(layout: WorkspaceLayout) -> None:
    """Refuse an emptied database in a workspace that has history (a brand-new one is created as usual)."""
    db = layout.db_path
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        return
    if size or not layout.secret_key_path.is_file():
        return
    evidence = [name for name in ("runs", "handoffs", "exports") if _has_files(layout.workflow_dir / name)]
    wal = db.with_name(db.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        evidence.append(wal.name)
    if evidence:
        raise StoreUnusableError(
            f"{layout.relative(db)} is empty (0 bytes) although this workspace has a key and history "
            f"({', '.join(evidence)}); it was truncated. Restore it from a backup, or move it away on purpose "
            "to start over: Orchestra will not silently begin a new audit chain",
            details={"evidence": evidence})


def sweep_temp_files(layout: WorkspaceLayout, *, now: float | None = None) -> list[str]:
    """Remove temp files whose writer has exited (or that are over an hour old); returns what was removed."""
    current = time.time() if now is None else now
    removed: list[str] = []
    for name in SWEPT_FOLDERS:
        folder = layout.workflow_dir / name if name else layout.workflow_dir
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _TMP.match(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                age = current - entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue
            pid = match.group("pid")
            if age < STALE_TMP_S and (pid is None or _alive(int(pid))):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(layout.relative(Path(entry.path)))
    if removed:
        log.info("removed %d stale temp file(s) left by interrupted writers", len(removed))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _has_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except OSError:
        return False
