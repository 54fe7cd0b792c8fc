"""PostgreSQL backend: one schema per scope, serialised writes, snapshot reads, migrations on open.

Every service relies on the single-writer semantics SQLite gives (``BEGIN IMMEDIATE``):
a check ("fewer than 3 active leases", "the chain head is N") and the write that
depends on it cannot interleave with another process's. This backend reproduces them
per scope: each write transaction takes ``pg_advisory_xact_lock(<scope key>)`` right
after ``BEGIN``, so the writers of one schema (one workspace, or one tenant's
workspace in hosted mode) run one at a time across every server process, while
writers of other schemas run in parallel. The lock is released by ``COMMIT`` or
``ROLLBACK``, and by the server when a client dies mid-transaction. Reads run in
``REPEATABLE READ READ ONLY`` transactions (one consistent snapshot) and never wait.

Statements use psycopg's client-side binding (:class:`psycopg.ClientCursor`): values
are quoted into the SQL text and the server infers types from context, as SQLite's
loose typing lets the services expect (``? IS NULL OR col = ?`` works unchanged).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool, PoolTimeout

from orchestra.errors import (
    DiskFullError,
    ReadOnlyWorkspaceError,
    SchemaTooNewError,
    StoreBusyError,
    StoreError,
    StoreUnusableError,
)
from orchestra.store.base import Row
from orchestra.store.dialect import POSTGRES, Dialect, quote_identifier, to_pyformat
from orchestra.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from orchestra.store.schema_name import check_schema_name

log = logging.getLogger("orchestra.store")

VERSION_TABLE = "orchestra_schema_version"
POOL_MAX = 8
"""Connections per database URL and process (shared by every schema's store, see :class:`_SharedPools`)."""
CONNECT_TIMEOUT_S = 5


class PgRow(Mapping[str, Any]):
    """A result row read by column name or position, like ``sqlite3.Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._values[key]
        return self._values[self._index[key]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)  # values, like sqlite3.Row (``tuple(row)``); keys() gives the names

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._index)

    def values(self) -> list[Any]:  # type: ignore[override]
        return list(self._values)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return list(zip(self._index, self._values, strict=True))

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __repr__(self) -> str:
        return f"PgRow({dict(self.items())!r})"


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], PgRow]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: PgRow(index, values)


class _NumericLoader(Loader):
    """``numeric`` (what ``SUM`` of a ``BIGINT`` returns) as ``int`` when whole, else ``float``: the types
    SQLite returns, so services and JSON output see the same values on both backends."""

    def load(self, data: Buffer) -> int | float:
        text = bytes(data).decode("ascii")
        try:
            return int(text)
        except ValueError:
            return float(text)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _NumericLoader)


def _params(params: Sequence[Any]) -> list[Any]:
    """Booleans as 0/1: the schema keeps SQLite's integer flags."""
    return [int(value) if isinstance(value, bool) else value for value in params]


class PostgresTransaction:
    """A transaction on one pooled connection (see :class:`orchestra.store.Transaction`)."""

    dialect: Dialect = POSTGRES

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def _run(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        try:
            if params:
                return self._connection.execute(to_pyformat(sql), _params(params))
            return self._connection.execute(sql)
        except psycopg.Error as exc:
            raise _translate(exc) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._run(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._run(sql, params).fetchall())

    def iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        cursor = self._run(sql, params)
        while batch := cursor.fetchmany(500):
            yield from batch

    def now(self) -> datetime:
        """The database server's clock (``clock_timestamp()``), shared by every process."""
        row = self._run("SELECT clock_timestamp() AS now", ()).fetchone()
        assert row is not None
        moment: datetime = row["now"]
        return moment


class PostgresStore:
    """A store in one PostgreSQL schema; many processes (and hosts) may open the same one."""

    dialect: Dialect = POSTGRES

    def __init__(self, url: str, schema: str, *, busy_timeout_s: float = 10.0, read_only: bool = False,
                 pool_max: int = POOL_MAX) -> None:
        self.url = url
        self.schema = check_schema_name(schema)
        self.read_only = read_only
        self._busy_timeout_s = busy_timeout_s
        self._lock_key = advisory_key(self.schema)
        self._quoted = quote_identifier(self.schema)
        _probe(url)
        self._pool = _SharedPools.acquire(url, pool_max, busy_timeout_s)
        self._closed = False
        self._close_lock = threading.Lock()
        try:
            self._version = self._check_read_only() if read_only else self._migrate()
        except PoolTimeout:
            _SharedPools.release(url)
            raise StoreUnusableError(f"cannot connect to PostgreSQL at {redacted_url(url)}") from None
        except BaseException:
            _SharedPools.release(url)
            raise

    @property
    def schema_version(self) -> int:
        return self._version

    @property
    def busy_timeout_s(self) -> float:
        return self._busy_timeout_s

    @property
    def location(self) -> str:
        """Where the state lives, without credentials (``postgresql://host:port/db#schema``)."""
        return f"{redacted_url(self.url)}#{self.schema}"

    # -- transactions ----------------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[PostgresTransaction]:
        if self.read_only:
            raise ReadOnlyWorkspaceError("the workspace is read-only; reads work, changes cannot be saved")
        begin = (f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL search_path TO {self._quoted};"
                 f" SET LOCAL lock_timeout = '{int(self._busy_timeout_s * 1000)}ms';"
                 f" SELECT pg_advisory_xact_lock({self._lock_key})")
        with self._transaction(begin) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[PostgresTransaction]:
        begin = f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path TO {self._quoted}"
        with self._transaction(begin) as tx:
            yield tx

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[PostgresTransaction]:
        if self._closed:
            raise StoreError("the state store is closed")
        try:
            pooled = self._pool.connection(timeout=self._busy_timeout_s)
            conn = pooled.__enter__()
        except PoolTimeout:
            raise StoreBusyError("every PostgreSQL connection of this process stayed busy; try again") from None
        except psycopg.Error as exc:
            raise _translate(exc) from None
        failure: BaseException | None = None
        try:
            try:
                conn.execute(begin)
            except psycopg.Error as exc:
                raise _translate(exc) from None
            try:
                yield PostgresTransaction(conn)
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except psycopg.Error as exc:
                _rollback(conn)
                raise _translate(exc) from None
        except BaseException as exc:
            failure = exc
            raise
        finally:
            if failure is None:
                pooled.__exit__(None, None, None)
            else:
                pooled.__exit__(type(failure), failure, failure.__traceback__)

    # -- schema ----------------------------------------------------------------------------------------

    def _migrate(self) -> int:
        with self._pool.connection() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted}")
        version = self._check_version()
        pending = [m for m in MIGRATIONS if m.version > version]
        return self._apply(pending) if pending else version

    def _check_read_only(self) -> int:
        version = self._check_version()
        if version < LATEST_VERSION:
            raise ReadOnlyWorkspaceError(
                f"the state schema (v{version}) needs migrating to v{LATEST_VERSION}, but the store is "
                "read-only; open it once where it can be written")
        return version

    def _check_version(self) -> int:
        with self.read() as tx:
            version = _version(tx)
            if version is None:
                if tx.fetchone("SELECT 1 FROM information_schema.tables WHERE table_schema = ? LIMIT 1",
                               (self.schema,)):
                    raise StoreUnusableError(
                        f"the PostgreSQL schema {self.schema!r} holds tables but no Orchestra schema version; "
                        "choose another schema (ORCHESTRA_DATABASE_SCHEMA) or restore it from a backup",
                        details={"schema": self.schema})
                return 0
        if version < 0:
            raise StoreUnusableError(f"the state schema has an impossible version ({version}); restore it from a "
                                     "backup", details={"found": version})
        if version > LATEST_VERSION:
            raise SchemaTooNewError(
                f"the state schema has version {version}, but this Orchestra knows only up to {LATEST_VERSION}; "
                "upgrade Orchestra instead of opening it with an older one",
                details={"found": version, "supported": LATEST_VERSION})
        return version

    def _apply(self, pending: list[Migration]) -> int:
        """Every pending migration in one write transaction (one round trip per migration): a crash
        leaves the schema at the old version or the newest, never between."""
        with self.write() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
                       "id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")
            current = _version(tx) or 0
            for migration in pending:
                if migration.version <= current:  # another process migrated first
                    continue
                tx.execute(";\n".join(migration.statements_for(POSTGRES)))
                current = migration.version
                log.info("migrated state schema %s to v%d: %s", self.schema, current, migration.description)
            tx.execute(f"INSERT INTO {VERSION_TABLE} (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
                       " SET version = excluded.version", (current,))
            return current

    # -- maintenance -----------------------------------------------------------------------------------

    def check_integrity(self, max_lines: int = 5) -> list[str]:
        """Catalog checks: the version row, every index valid; ``amcheck``'s B-tree check when installed."""
        problems: list[str] = []
        try:
            with self.read() as tx:
                if _version(tx) != self._version:
                    problems.append("the schema version row is missing or changed")
                for row in tx.fetchall(
                        "SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                        " WHERE c.relnamespace = ?::regnamespace AND NOT (i.indisvalid AND i.indisready)",
                        (self.schema,)):
                    problems.append(f"index {row['name']} is invalid")
                if tx.fetchone("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'"):
                    for row in tx.fetchall(
                            "SELECT c.oid::regclass::text AS name FROM pg_index i"
                            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                            " WHERE c.relnamespace = ?::regnamespace AND a.amname = 'btree'", (self.schema,)):
                        tx.fetchone("SELECT bt_index_check(?::regclass) IS NULL AS ok", (row["name"],))
        except StoreError as exc:
            problems.append(exc.message[:200])
        return problems[:max_lines]

    def purge_journal(self) -> None:
        """``VACUUM`` the schema's tables, so erased rows' space is reclaimed for reuse.

        Limits (see docs/operations.md): VACUUM makes dead row versions reusable but does not zero them
        on disk until overwritten; the server's WAL segments, replicas and backups keep the erased text
        until they are recycled or expire.
        """
        if self.read_only or self._closed:
            return
        try:
            with self.read() as tx:
                tables = [str(r["name"]) for r in tx.fetchall(
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname = ?", (self.schema,))]
            with self._pool.connection(timeout=self._busy_timeout_s) as conn:
                for table in tables:
                    conn.execute(f"VACUUM {self._quoted}.{quote_identifier(table)}")
        except (psycopg.Error, PoolTimeout, StoreError) as exc:
            log.warning("could not vacuum the state schema after an erasure: %s", type(exc).__name__)

    def drop_schema(self) -> None:
        """Remove the schema and everything in it (tests and ``orchestra`` operators only)."""
        with self._pool.connection() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self._quoted} CASCADE")

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        _SharedPools.release(self.url)


class _SharedPools:
    """One connection pool per database URL in a process, shared by every store on it (counted).

    A connection is not tied to a schema: each transaction sets ``search_path`` with ``SET LOCAL``, so a
    hosted server with many open scopes (one schema each) holds one pool of at most ``POOL_MAX``
    connections per database, not one pool per scope (64 scopes would otherwise keep 64+ connections per
    process open, past PostgreSQL's default ``max_connections`` with two servers)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _pools: ClassVar[dict[str, tuple[ConnectionPool[Any], int]]] = {}

    @classmethod
    def acquire(cls, url: str, pool_max: int, timeout_s: float) -> ConnectionPool[Any]:
        with cls._lock:
            held = cls._pools.get(url)
            if held is not None:
                cls._pools[url] = (held[0], held[1] + 1)
                return held[0]
            pool: ConnectionPool[Any] = ConnectionPool(
                url, min_size=1, max_size=max(1, pool_max), open=False, timeout=timeout_s,
                kwargs={"autocommit": True, "cursor_factory": psycopg.ClientCursor, "row_factory": _row_factory,
                        "connect_timeout": CONNECT_TIMEOUT_S},
                configure=_configure, name="orchestra-store")
            try:
                pool.open(wait=True, timeout=timeout_s)
            except PoolTimeout:
                pool.close()
                raise StoreUnusableError(f"cannot connect to PostgreSQL at {redacted_url(url)}") from None
            cls._pools[url] = (pool, 1)
            return pool

    @classmethod
    def release(cls, url: str) -> None:
        with cls._lock:
            held = cls._pools.get(url)
            if held is None:
                return
            if held[1] > 1:
                cls._pools[url] = (held[0], held[1] - 1)
                return
            del cls._pools[url]
        held[0].close()


def schema_initialized(url: str, schema: str) -> bool:
    """Whether ``schema`` exists and holds a migrated Orchestra store (one short connection)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            row = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                (f"{quote_identifier(check_schema_name(schema))}.{VERSION_TABLE}",)).fetchone()
            return bool(row and row[0])
    except psycopg.OperationalError as exc:
        raise _unreachable(url, exc) from None


def advisory_key(schema: str) -> int:
    """The signed 64-bit advisory-lock key serialising the writers of ``schema``."""
    digest = hashlib.sha256(f"orchestra-store:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def redacted_url(url: str) -> str:
    """``url`` without user, password or query (safe for messages and status output)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unparseable)"
    if not parts.scheme:
        return "postgresql://(conninfo)"
    host = parts.hostname or "localhost"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _probe(url: str) -> None:
    """Connect once, so an unreachable server fails now with a clear message (not a pool timeout)."""
    try:
        psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.OperationalError as exc:
        raise _unreachable(url, exc) from None
    except psycopg.Error as exc:
        raise StoreUnusableError(f"cannot use PostgreSQL at {redacted_url(url)}: {type(exc).__name__}") from None


def _unreachable(url: str, exc: psycopg.OperationalError) -> StoreUnusableError:
    reason = "connection refused" if "refused" in str(exc).lower() else _first_line(exc)
    return StoreUnusableError(f"cannot connect to PostgreSQL at {redacted_url(url)}: {reason}",
                              details={"database": redacted_url(url)})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _version(tx: PostgresTransaction) -> int | None:
    if not tx.fetchone("SELECT to_regclass(?) IS NOT NULL AS present", (VERSION_TABLE,))["present"]:  # type: ignore[index]
        return None
    row = tx.fetchone(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1")
    return int(row["version"]) if row else None


def _rollback(conn: psycopg.Connection[Any]) -> None:
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # the pool discards a broken connection


def _translate(exc: psycopg.Error) -> StoreError:
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected | pg_errors.SerializationFailure):
        return StoreBusyError("the state database stayed locked by another process; try again")
    if isinstance(exc, pg_errors.DiskFull | pg_errors.OutOfMemory):
        return DiskFullError("the disk holding the state database is full; nothing was written")
    if isinstance(exc, psycopg.IntegrityError):
        return StoreError(f"the state database refused the change: {_first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnusableError(f"lost the connection to PostgreSQL: {_first_line(exc)}")
    return StoreError(f"state database error: {_first_line(exc)}")
