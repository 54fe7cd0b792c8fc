"""The control store: API tokens, admission state and (on PostgreSQL) the deployment's wrapped keys.

Two implementations of one interface (:class:`Control`): this module's :class:`ControlStore`, the file
``<data-dir>/control.db`` (the default; several server processes of one machine share it, every write is
one ``BEGIN IMMEDIATE`` transaction), and :class:`orchestra.hosted.control_pg.PostgresControlStore`, a
schema of the PostgreSQL database shared by servers on several machines. Which one a server or the
``orchestra token`` CLI uses is chosen in one place, :mod:`orchestra.hosted.control_open`.

Both run the same small versioned schema (``control_meta``), separate from the workspace migrations, in
plain portable DDL (text, integer, real and blob columns, no triggers, no rowid tricks; PostgreSQL gets
``REAL`` as ``DOUBLE PRECISION``). Services read time with :meth:`ControlTransaction.now` inside the
transaction (on PostgreSQL the database server's clock, one clock for every machine) and call
:meth:`ControlTransaction.lock` before a check-then-write on one key (a no-op on SQLite, whose writers are
already serialised; a per-key advisory lock on PostgreSQL).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from orchestra.errors import SchemaTooNewError, StoreBusyError, StoreError
from orchestra.store.dialect import SQLITE, Dialect

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
    (  # 2: per-deployment secrets wrapped under the operator's master key (used on PostgreSQL)
        """CREATE TABLE wrapped_keys (
            name TEXT PRIMARY KEY,
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at REAL NOT NULL
        )""",
    ),
)
CONTROL_VERSION = len(CONTROL_SCHEMA)
BUSY_TIMEOUT_S = 10.0


class Transaction(Protocol):
    """Statements inside one control transaction (either backend; ``?`` placeholders)."""

    dialect: Dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows changed."""
        ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row, or ``None``."""
        ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row."""
        ...

    def now(self) -> float:
        """Unix seconds by the store's clock (PostgreSQL: the database server's)."""
        ...

    def lock(self, key: str) -> None:
        """Serialise this write transaction with every other one that locks ``key`` (until it ends)."""
        ...


class Control(Protocol):
    """A control store (SQLite file or PostgreSQL schema)."""

    @property
    def schema_version(self) -> int:
        """The control schema version."""
        ...

    @property
    def location(self) -> str:
        """Where it lives, without credentials."""
        ...

    def write(self) -> AbstractContextManager[Transaction]:
        """One write transaction: committed on success, rolled back on any error."""
        ...

    def read(self) -> AbstractContextManager[Transaction]:
        """One consistent read."""
        ...

    def close(self) -> None:
        """Release its connections."""
        ...


def check_version(found: int, where: str) -> None:
    """``schema_too_new`` when ``found`` is past what this Orchestra knows."""
    if found > CONTROL_VERSION:
        raise SchemaTooNewError(f"the control store ({where}) has schema {found}; this Orchestra knows "
                                f"{CONTROL_VERSION}: upgrade Orchestra", details={"found": found,
                                                                                "supported": CONTROL_VERSION})


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
            check_version(version, "control.db")
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

    @property
    def location(self) -> str:
        """The control database file."""
        return str(self.path)

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
    """Statements inside one SQLite transaction."""

    dialect: Dialect = SQLITE

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

    def now(self) -> float:
        """This host's wall clock (every process of one control.db runs on this host)."""
        return time.time()

    def lock(self, key: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already serialises every writer of the file."""
