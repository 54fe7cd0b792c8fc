"""Checkpointing the SQLite write-ahead log off the write path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses ``wal_autocheckpoint`` pages: that
call pays for copying the log into the database and fsyncing it. Here the write connection's automatic
checkpoint is a far backstop (:data:`BACKSTOP_PAGES`) and a helper thread with its own connection runs a
``PASSIVE`` checkpoint once the log passes :data:`CHECKPOINT_PAGES`; writers only compare the log's size
(a ``stat``, no open file descriptor, so SQLite's locks are never touched) and wake it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("orchestra.store")

CHECKPOINT_PAGES = 1000
"""Log size (in pages) past which the helper checkpoints: SQLite's own default threshold."""
BACKSTOP_PAGES = 8000
"""The write connection's ``wal_autocheckpoint``: a commit checkpoints itself only past this (helper stuck)."""


class Checkpointer:
    """A helper thread that checkpoints ``path``'s WAL when a writer finds it past the threshold."""

    def __init__(self, path: Path, connect: Callable[[], sqlite3.Connection], page_size: int) -> None:
        self._wal = Path(f"{path}-wal")
        self._connect = connect
        self._limit_bytes = CHECKPOINT_PAGES * (page_size + 24) + 32  # frame header 24 B, log header 32 B
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """How many checkpoints the helper ran (for tests and benchmarks)."""

    def after_commit(self) -> None:
        """Called by the writer after each COMMIT: wake the helper when the log is past the threshold."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size < self._limit_bytes:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="orchestra-wal-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except Exception:  # the backstop checkpoint still runs in the writers
            log.warning("the WAL checkpoint helper could not open the database", exc_info=True)
            return
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # busy or failing: the next wake (or the backstop) retries
                    log.info("background WAL checkpoint did not run: %s", exc)
        finally:
            conn.close()

    def close(self) -> None:
        """Stop the helper and wait for it (a checkpoint in progress finishes first)."""
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
