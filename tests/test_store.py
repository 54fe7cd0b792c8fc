"""The SQLite store: pragmas, migrations, refusing newer schemas, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestra.errors import SchemaTooNewError, StoreError
from orchestra.store.filesystem import network_filesystem_type
from orchestra.store.migrations import LATEST_VERSION
from orchestra.store.sqlite import SQLiteStore


@pytest.mark.sqlite_only
def test_open_migrates_and_sets_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    assert store.schema_version == LATEST_VERSION
    with store.read() as tx:
        assert str(tx.fetchone("PRAGMA journal_mode")[0]).lower() == "wal"  # type: ignore[index]
        tables = {r["name"] for r in tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "audit_head", "tasks"} <= tables
    store.close()
    again = SQLiteStore(tmp_path / "state.db")  # re-open is a no-op migration
    assert again.schema_version == LATEST_VERSION
    again.close()


@pytest.mark.sqlite_only
def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError) as caught:
        SQLiteStore(path)
    assert caught.value.code == "schema_too_new"
    assert str(LATEST_VERSION + 5) in caught.value.message
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 5
    conn.close()
    assert path.read_bytes()[:100] == before[:100]


@pytest.mark.sqlite_only
def test_write_rolls_back_on_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, owner_role, status,"
                   " created_at, updated_at) VALUES ('a','t','','[]','[]',NULL,'planned','x','x')")
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.fetchone("SELECT COUNT(*) AS n FROM tasks")["n"] == 0  # type: ignore[index]
    with pytest.raises(StoreError), store.write() as tx:
        tx.execute("INSERT INTO nowhere VALUES (1)")
    store.close()


@pytest.mark.sqlite_only
def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        SQLiteStore(path)


def test_network_filesystem_detection(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:35 / /mnt/share rw,relatime shared:2 - nfs4 server:/export rw\n"
    )
    assert network_filesystem_type(Path("/mnt/share/project"), mountinfo) == "nfs4"
    assert network_filesystem_type(Path("/home/project"), mountinfo) is None
    assert network_filesystem_type(Path("/x"), tmp_path / "missing") is None
