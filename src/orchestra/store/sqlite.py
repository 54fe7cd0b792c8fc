"""SQLite backend: WAL mode, ``BEGIN IMMEDIATE`` writes, busy timeout, migrations on open.

One connection per store object, guarded by a lock so worker threads of the MCP
server take turns; other processes coordinate through SQLite's own locks.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestra.errors import (
    DiskFullError,
    ReadOnlyWorkspaceError,
    SchemaTooNewError,
    StoreBusyError,
    StoreError,
    StoreUnusableError,
)
from orchestra.store.base import Row
from orchestra.store.filesystem import network_filesystem_type
from orchestra.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

log = logging.getLogger("orchestra.store")

BUSY_TIMEOUT_S = 10.0
BEGIN_ATTEMPTS = 3


class SQLiteTransaction:
    """A transaction on one SQLite connection (see :class:`orchestra.store.Transaction`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._connection.execute(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._connection.execute(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._connection.execute(sql, params).fetchall())

    def iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        cursor = self._connection.execute(sql, params)
        while batch := cursor.fetchmany(500):
            yield from batch


class SQLiteStore:
    """The embedded default store: one database file shared by all processes of a workspace."""

    def __init__(self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S, read_only: bool = False) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._busy_timeout_s = busy_timeout_s
        self.read_only = read_only
        fs_type = network_filesystem_type(path.parent)
        if fs_type:
            log.warning("state database is on a network filesystem (%s); SQLite WAL is unsafe there", fs_type)
        try:
            self._connection = self._connect()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the state database: {exc}") from None
        self._connection.row_factory = sqlite3.Row
        try:
            if read_only:
                self._version = self._check_read_only()
            else:
                self._configure()
                self._version = self._migrate()
        except BaseException:
            self._connection.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only:
            return sqlite3.connect(self.path, isolation_level=None, timeout=self._busy_timeout_s,
                                   check_same_thread=False)
        # Read-only media: mode=ro cannot create the -shm file SQLite needs for WAL; nobody can write
        # there either, so the file is opened as immutable.
        uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._busy_timeout_s,
                               check_same_thread=False)

    def _check_read_only(self) -> int:
        try:
            version = self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreUnusableError(f"the state database is unusable: {exc}") from None
        if version < LATEST_VERSION:
            raise ReadOnlyWorkspaceError(
                f"the state database (schema v{version}) needs migrating to v{LATEST_VERSION}, but the "
                "workspace is read-only; open it once where it can be written")
        return version

    @property
    def schema_version(self) -> int:
        return self._version

    def _configure(self) -> None:
        conn = self._connection
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("SQLite refused WAL mode (got %s); concurrency will suffer", mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")  # erased rows are zeroed, not left in free pages
        except sqlite3.DatabaseError as exc:
            raise StoreUnusableError(f"the state database is unusable: {exc}") from None

    def _migrate(self) -> int:
        version = self._check_version()
        for migration in MIGRATIONS:
            if migration.version > version:
                version = self._apply(migration)
        return version

    def _check_version(self) -> int:
        """The schema version, refusing one no Orchestra writes (negative, too new, or 0 over tables)."""
        version = self._user_version()
        if version < 0:
            raise StoreUnusableError(
                f"the state database has an impossible schema version ({version}); it was edited by hand. "
                "Restore it from a backup; Orchestra will not guess which migrations it holds",
                details={"found": version})
        if version == 0 and self._connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1").fetchone():
            raise StoreUnusableError(
                "the state database holds tables but no schema version (it was edited by hand); restore it "
                "from a backup", details={"found": version})
        if version > LATEST_VERSION:
            raise SchemaTooNewError(
                f"the state database has schema version {version}, but this Orchestra knows only up to "
                f"{LATEST_VERSION}; upgrade Orchestra instead of opening it with an older one",
                details={"found": version, "supported": LATEST_VERSION},
            )
        return version

    def _user_version(self) -> int:
        return int(self._connection.execute("PRAGMA user_version").fetchone()[0])

    def _apply(self, migration: Migration) -> int:
        with self.write() as tx:
            current = int(tx.fetchone("PRAGMA user_version")[0])  # type: ignore[index]
            if current >= migration.version:  # another process migrated first
                return current
            for statement in migration.statements:
                tx.execute(statement)
            tx.execute(f"PRAGMA user_version = {int(migration.version)}")
            log.info("migrated state database to v%d: %s", migration.version, migration.description)
            return migration.version

    @contextmanager
    def write(self) -> Iterator[SQLiteTransaction]:
        if self.read_only:
            raise ReadOnlyWorkspaceError("the workspace is read-only; reads work, changes cannot be saved")
        with self._lock:
            self._begin("BEGIN IMMEDIATE")
            yield from self._run_transaction()

    @contextmanager
    def read(self) -> Iterator[SQLiteTransaction]:
        with self._lock:
            self._begin("BEGIN")
            yield from self._run_transaction()

    def _run_transaction(self) -> Iterator[SQLiteTransaction]:
        conn = self._connection
        try:
            yield SQLiteTransaction(conn)
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _translate(exc) from None
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _translate(exc) from None

    def _begin(self, statement: str) -> None:
        for attempt in range(BEGIN_ATTEMPTS):
            try:
                self._connection.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == BEGIN_ATTEMPTS - 1:
                    raise _translate(exc) from None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))

    def purge_journal(self) -> None:
        """Checkpoint and truncate the WAL, so erased text does not linger in the ``-wal`` file."""
        if self.read_only:
            return
        with self._lock:
            try:
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:  # busy readers: the next checkpoint finishes the job
                log.warning("could not truncate the write-ahead log after an erasure: %s", exc)

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it (so deleted pages leave the ``-wal`` file);
        ``False`` when another process's reader kept part of it (retried a few times first)."""
        with self._lock:
            for attempt in range(BEGIN_ATTEMPTS):
                try:
                    busy = int(self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
                except sqlite3.OperationalError:
                    busy = 1
                if not busy:
                    return True
                time.sleep(0.02 * (attempt + 1))
            return False

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _translate(exc: sqlite3.Error) -> StoreError:
    if _is_busy(exc):
        return StoreBusyError("the state database stayed locked by another process; try again")
    if "full" in str(exc).lower():
        return DiskFullError("the disk holding the state database is full; nothing was written")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"the state database refused the change: {exc}")
    return StoreError(f"state database error: {exc}")
