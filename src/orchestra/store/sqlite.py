"""SQLite backend: WAL mode, ``BEGIN IMMEDIATE`` writes, busy timeout, migrations on open.

Writes go through one connection, taken in turn by the worker threads of a process
and serialised across processes by SQLite's write lock; a write that cannot start
within the busy timeout (waiting for this process's other writers included) fails
with ``store_busy``. Reads use a small pool of separate read-only connections: in
WAL mode a reader never waits for a writer, in this process or another.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestra.clock import utc_now
from orchestra.errors import (
    ConfigError,
    DiskFullError,
    ReadOnlyWorkspaceError,
    SchemaTooNewError,
    StoreBusyError,
    StoreError,
    StoreUnusableError,
)
from orchestra.store.base import Row
from orchestra.store.checkpointer import BACKSTOP_PAGES, Checkpointer
from orchestra.store.dialect import SQLITE, Dialect
from orchestra.store.filesystem import network_filesystem_type
from orchestra.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

log = logging.getLogger("orchestra.store")

BUSY_TIMEOUT_S = 10.0
BUSY_TIMEOUT_ENV = "ORCHESTRA_STORE_BUSY_TIMEOUT_S"
BUSY_TIMEOUT_RANGE_S = (0.1, 60.0)
MAX_IDLE_READERS = 4
_RETRY_SLEEP_S = 0.02
_BUSY_SLACK_MS = 50
"""A write's busy timeout is set to the time left before its deadline, unless within this of the last one."""


def busy_timeout_from(environ: Mapping[str, str]) -> float:
    """The write busy timeout from ``ORCHESTRA_STORE_BUSY_TIMEOUT_S`` (0.1-60 s), else 10 s."""
    raw = environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    low, high = BUSY_TIMEOUT_RANGE_S
    if not low <= value <= high:
        raise ConfigError(f"{BUSY_TIMEOUT_ENV} must be a number of seconds between {low:g} and {high:g}")
    return value


class SQLiteTransaction:
    """A transaction on one SQLite connection (see :class:`orchestra.store.Transaction`)."""

    dialect: Dialect = SQLITE

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def now(self) -> datetime:
        """The store's clock: with SQLite every process shares this machine's clock."""
        return utc_now()

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

    dialect: Dialect = SQLITE

    def __init__(self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S, read_only: bool = False) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._busy_timeout_s = busy_timeout_s
        self._busy_ms = int(busy_timeout_s * 1000)
        self._checkpointer: Checkpointer | None = None
        self.read_only = read_only
        fs_type = network_filesystem_type(path.parent)
        if fs_type:
            log.warning("state database is on a network filesystem (%s); SQLite WAL is unsafe there", fs_type)
        self._connection = self._connect()
        try:
            if read_only:
                self._version = self._check_read_only()
            else:
                self._configure()
                self._version = self._migrate()
        except BaseException:
            self._connection.close()
            raise

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

    @property
    def busy_timeout_s(self) -> float:
        """How long a write waits for the lock before failing with ``store_busy``."""
        return self._busy_timeout_s

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                # Read-only media: mode=ro cannot create the -shm file SQLite needs for WAL; nobody can
                # write there either, so the file is opened as immutable.
                uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._busy_timeout_s,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(
                    self.path, isolation_level=None, timeout=self._busy_timeout_s, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the state database: {exc}") from None
        conn.row_factory = sqlite3.Row
        return conn

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
            conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")  # the helper checkpoints first
            page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise StoreUnusableError(f"the state database is unusable: {exc}") from None
        self._checkpointer = Checkpointer(self.path, self._connect, page_size)

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
            for statement in migration.statements_for(SQLITE):
                tx.execute(statement)
            tx.execute(f"PRAGMA user_version = {int(migration.version)}")
            log.info("migrated state database to v%d: %s", migration.version, migration.description)
            return migration.version

    @contextmanager
    def write(self) -> Iterator[SQLiteTransaction]:
        if self.read_only:
            raise ReadOnlyWorkspaceError("the workspace is read-only; reads work, changes cannot be saved")
        deadline = time.monotonic() + self._busy_timeout_s
        if not self._write_lock.acquire(timeout=self._busy_timeout_s):
            raise _busy()
        try:
            self._begin_immediate(deadline)
            yield from _run_transaction(self._connection)
        finally:
            self._write_lock.release()
        if self._checkpointer is not None:  # committed: checkpoint off this call's path when the log is long
            self._checkpointer.after_commit()

    @contextmanager
    def read(self) -> Iterator[SQLiteTransaction]:
        conn = self._acquire_reader()
        healthy = False
        try:
            try:
                conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise _translate(exc) from None
            yield from _run_transaction(conn)
            healthy = True
        finally:
            self._release_reader(conn, healthy and not conn.in_transaction)

    def _begin_immediate(self, deadline: float) -> None:
        conn = self._connection
        while True:
            remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
            try:
                if abs(remaining_ms - self._busy_ms) > _BUSY_SLACK_MS:  # unchanged on an uncontended write
                    conn.execute(f"PRAGMA busy_timeout = {remaining_ms}")
                    self._busy_ms = remaining_ms
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise _translate(exc) from None
                if deadline - time.monotonic() <= _RETRY_SLEEP_S:
                    raise _busy() from None
                time.sleep(_RETRY_SLEEP_S)  # SQLite can report busy without waiting (e.g. WAL recovery)

    def _acquire_reader(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._closed:
                raise StoreError("the state store is closed")
            if self._idle:
                return self._idle.pop()
        conn = self._connect()
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            conn.close()
            raise _translate(exc) from None
        return conn

    def _release_reader(self, conn: sqlite3.Connection, healthy: bool) -> None:
        with self._pool_lock:
            if healthy and not self._closed and len(self._idle) < MAX_IDLE_READERS:
                self._idle.append(conn)
                return
        conn.close()

    def check_integrity(self, max_lines: int = 5) -> list[str]:
        try:
            with self.read() as tx:
                lines = [str(row["quick_check"]) for row in tx.fetchall("PRAGMA quick_check")]
        except StoreError as exc:  # a malformed file can fail the check itself
            return [exc.message[:200]]
        return [] if lines == ["ok"] else [line[:200] for line in lines[:max_lines]]

    def purge_journal(self) -> None:
        """Checkpoint and truncate the WAL, so erased text does not linger in the ``-wal`` file."""
        if not self.read_only and not self.checkpoint():  # busy readers: the next checkpoint finishes it
            log.warning("could not truncate the write-ahead log after an erasure (another reader holds it)")

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it (so deleted pages leave the ``-wal`` file);
        ``False`` when another process's reader kept part of it (retried a few times first)."""
        if self.read_only:
            return False
        with self._write_lock:
            for attempt in range(3):
                try:
                    busy = int(self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
                except sqlite3.OperationalError:
                    busy = 1
                if not busy:
                    return True
                time.sleep(0.02 * (attempt + 1))
            return False

    @property
    def background_checkpoints(self) -> int:
        """How many WAL checkpoints the helper thread ran (see :mod:`orchestra.store.checkpointer`)."""
        return self._checkpointer.checkpoints if self._checkpointer is not None else 0

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        with self._write_lock:
            self._connection.close()


def _run_transaction(conn: sqlite3.Connection) -> Iterator[SQLiteTransaction]:
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


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _busy() -> StoreBusyError:
    return StoreBusyError("the state database stayed locked by another process; try again")


def _translate(exc: sqlite3.Error) -> StoreError:
    if _is_busy(exc):
        return _busy()
    if "full" in str(exc).lower():
        return DiskFullError("the disk holding the state database is full; nothing was written")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"the state database refused the change: {exc}")
    return StoreError(f"state database error: {exc}")
