"""The WAL is checkpointed by a helper thread, not inside the COMMIT of whichever write crosses the threshold."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from orchestra.store.checkpointer import BACKSTOP_PAGES, CHECKPOINT_PAGES
from orchestra.store.sqlite import SQLiteStore

pytestmark = pytest.mark.sqlite_only


def _wal_frames(path: Path) -> int:
    """Frames in the log not yet copied into the database, read through SQLite (never plain file I/O)."""
    conn = sqlite3.connect(path)
    try:
        busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames) - int(done) if busy == 0 else -1
    finally:
        conn.close()


def test_writes_past_the_threshold_are_checkpointed_by_the_helper(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    try:
        with store.write() as tx:
            assert int(tx.fetchone("PRAGMA wal_autocheckpoint")[0]) == BACKSTOP_PAGES  # type: ignore[index]
            assert int(tx.fetchone("PRAGMA synchronous")[0]) == 2  # type: ignore[index]
            tx.execute("CREATE TABLE filler (body BLOB)")
        for _ in range(CHECKPOINT_PAGES // 4 + 50):  # each commit adds about four pages to the log
            with store.write() as tx:
                tx.execute("INSERT INTO filler VALUES (?)", (b"x" * 12_000,))
        deadline = time.monotonic() + 60
        while store.background_checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.background_checkpoints >= 1
        with store.read() as tx:
            assert int(tx.fetchone("SELECT COUNT(*) FROM filler")[0]) == CHECKPOINT_PAGES // 4 + 50  # type: ignore[index]
    finally:
        store.close()
    assert _wal_frames(path) in (0, -1)  # the last close checkpointed what was left


def test_a_small_log_wakes_no_helper(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    try:
        for i in range(20):
            with store.write() as tx:
                tx.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
                tx.execute("INSERT INTO t VALUES (?)", (i,))
        assert store.background_checkpoints == 0
    finally:
        store.close()
