"""The control store: ``<data-dir>/control.db``, holding API tokens and admission state.

It has its own small versioned schema (``control_meta``), separate from the workspace migrations, and
plain portable DDL (text, integer and real columns, no triggers, no rowid tricks) so it can move to
PostgreSQL. Several server processes share it: every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestra.errors import SchemaTooNewError, StoreBusyError, StoreError

CONTROL_SCHEMA: tuple[tuple[str, ...], ...] = (
    (  # 1: tokens, rate state, concurrency leases
        """CREATE TABLE api_tokens (
            token_id TEXT PRIMARY KEY,
            digest TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            workspace TEXT NOT NULL,
            scope TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked_at REAL
        )""",
        "CREATE INDEX api_tokens_scope ON api_tokens (tenant, workspace)",
        "CREATE TABLE admission_rate (key TEXT PRIMARY KEY, tat REAL NOT NULL)",
        """CREATE TABLE admission_leases (
            lease_id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            expires_at REAL NOT NULL
        )""",
        "CREATE INDEX admission_leases_key ON admission_leases (key, expires_at)",
    ),
)
CONTROL_VERSION = len(CONTROL_SCHEMA)
BUSY_TIMEOUT_S = 10.0


class ControlStore:
    """One connection to the control database, shared by the threads of one process."""

    def __init__(self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():  # token digests and limits: readable by the server's user only
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_s,
                                         check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the control database: {exc}") from None
        self._migrate()

    def _migrate(self) -> None:
        with self.write() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS control_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            row = tx.fetchone("SELECT value FROM control_meta WHERE name = 'schema_version'")
            version = int(row[0]) if row else 0
            if version > CONTROL_VERSION:
                raise SchemaTooNewError(f"the control database has schema {version}; this Orchestra knows "
                                        f"{CONTROL_VERSION}: upgrade Orchestra")
            for step in CONTROL_SCHEMA[version:]:
                for statement in step:
                    tx.execute(statement)
            tx.execute("INSERT INTO control_meta (name, value) VALUES ('schema_version', ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (CONTROL_VERSION,))

    @property
    def schema_version(self) -> int:
        """The control schema version."""
        with self.read() as tx:
            row = tx.fetchone("SELECT value FROM control_meta WHERE name = 'schema_version'")
        return int(row[0]) if row else 0

    @contextmanager
    def write(self) -> Iterator[ControlTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        with self._lock:
            self._begin()
            try:
                yield ControlTransaction(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"control database commit failed: {exc}") from None

    @contextmanager
    def read(self) -> Iterator[ControlTransaction]:
        """A consistent read (one deferred transaction)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield ControlTransaction(self._conn)
            finally:
                self._conn.execute("COMMIT")

    def _begin(self) -> None:
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreError(f"control database error: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError("the control database is busy; try again") from None
                time.sleep(0.005)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class ControlTransaction:
    """Statements inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows changed."""
        return self._conn.execute(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row, or ``None``."""
        row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row."""
        return list(self._conn.execute(sql, params).fetchall())
