"""The control store in a PostgreSQL schema, shared by hosted servers on several machines.

Same schema and semantics as ``control.db`` (:mod:`orchestra.hosted.control`): the DDL is the portable one
(``INTEGER`` → ``BIGINT``, ``BLOB`` → ``BYTEA``, ``REAL`` → ``DOUBLE PRECISION``, since a Unix time in
seconds needs more than ``real``'s 24 bits), the statements are the services' own with ``?``
placeholders. Time is the database server's clock (``clock_timestamp()``), so every machine agrees on when
a token expires and a lease runs out. A check-then-write on one key (the rate of a principal, its leases)
takes ``pg_advisory_xact_lock`` on that key first: writers of one principal run one at a time across every
server, writers of different principals in parallel; the lock ends with the transaction, or when a crashed
server's connection drops. Writes run in ``READ COMMITTED``, so a statement after the lock sees every row
committed before it; reads run in ``REPEATABLE READ READ ONLY``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from orchestra.errors import StoreBusyError, StoreError, StoreUnusableError
from orchestra.hosted.control import BUSY_TIMEOUT_S, CONTROL_SCHEMA, CONTROL_VERSION, check_version
from orchestra.store.dialect import POSTGRES, Dialect, postgres_ddl, quote_identifier, to_pyformat
from orchestra.store.postgres import redacted_url
from orchestra.store.schema_name import check_schema_name

POOL_MAX = 4
CONNECT_TIMEOUT_S = 5
_REAL = re.compile(r"\bREAL\b", re.IGNORECASE)


def control_ddl(statement: str) -> str:
    """A control-schema statement in PostgreSQL's spelling."""
    return _REAL.sub("DOUBLE PRECISION", postgres_ddl(statement))


def lock_key(schema: str, key: str) -> int:
    """The signed 64-bit advisory-lock key of ``key`` in the control ``schema``."""
    digest = hashlib.sha256(f"orchestra-control:{schema}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresControlTransaction:
    """Statements inside one PostgreSQL control transaction."""

    dialect: Dialect = POSTGRES

    def __init__(self, conn: psycopg.Connection[Any], schema: str) -> None:
        self._conn = conn
        self._schema = schema
        self._clock_after_lock: float | None = None

    def _run(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        try:
            return self._conn.execute(to_pyformat(sql), list(params)) if params else self._conn.execute(sql)
        except psycopg.Error as exc:
            raise _translate(exc) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows changed."""
        return self._run(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row, or ``None``."""
        row: tuple[Any, ...] | None = self._run(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row."""
        return list(self._run(sql, params).fetchall())

    def now(self) -> float:
        """Unix seconds by the database server's clock (the same for every machine); right after
        :meth:`lock`, the reading taken the moment the lock was granted (one round trip fewer)."""
        if self._clock_after_lock is not None:
            moment, self._clock_after_lock = self._clock_after_lock, None
            return moment
        row = self._run("SELECT extract(epoch FROM clock_timestamp())::float8", ()).fetchone()
        assert row is not None
        return float(row[0])

    def lock(self, key: str) -> None:
        """Wait for (then hold until commit) the advisory lock of ``key``, reading the clock once granted."""
        row = self._run(f"SELECT pg_advisory_xact_lock({lock_key(self._schema, key)}),"
                        " extract(epoch FROM clock_timestamp())::float8", ()).fetchone()
        assert row is not None
        self._clock_after_lock = float(row[1])


class PostgresControlStore:
    """The control schema ``schema`` of the database at ``url`` (created and migrated on open)."""

    def __init__(self, url: str, schema: str, *, busy_timeout_s: float = BUSY_TIMEOUT_S,
                 pool_max: int = POOL_MAX) -> None:
        self.url = url
        self.schema = check_schema_name(schema)
        self._quoted = quote_identifier(self.schema)
        self._busy_timeout_s = busy_timeout_s
        try:
            psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.Error as exc:
            raise StoreUnusableError(f"cannot connect to PostgreSQL at {redacted_url(url)}: "
                                     f"{_first_line(exc)}") from None
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=max(1, pool_max), open=False, timeout=busy_timeout_s,
            kwargs={"autocommit": True, "cursor_factory": psycopg.ClientCursor,
                    "connect_timeout": CONNECT_TIMEOUT_S}, name="orchestra-control")
        try:
            self._pool.open(wait=True, timeout=busy_timeout_s)
            self.created = self._migrate()
        except PoolTimeout:
            self._pool.close()
            raise StoreUnusableError(f"cannot connect to PostgreSQL at {redacted_url(url)}") from None
        except BaseException:
            self._pool.close()
            raise

    def _migrate(self) -> bool:
        """Bring the schema to :data:`CONTROL_VERSION`; whether it was created just now."""
        with self._pool.connection() as conn, contextlib.suppress(pg_errors.UniqueViolation):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted}")  # a racing server may create it first
        with self.write() as tx:
            tx.lock("migrate")
            tx.execute("CREATE TABLE IF NOT EXISTS control_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL)")
            row = tx.fetchone("SELECT value FROM control_meta WHERE name = 'schema_version'")
            version = int(row[0]) if row else 0
            check_version(version, f"{redacted_url(self.url)}#{self.schema}")
            for step in CONTROL_SCHEMA[version:]:
                for statement in step:
                    tx.execute(control_ddl(statement))
            tx.execute("INSERT INTO control_meta (name, value) VALUES ('schema_version', ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (CONTROL_VERSION,))
        return version == 0

    @property
    def schema_version(self) -> int:
        """The control schema version."""
        with self.read() as tx:
            row = tx.fetchone("SELECT value FROM control_meta WHERE name = 'schema_version'")
        return int(row[0]) if row else 0

    @property
    def location(self) -> str:
        """``postgresql://host:port/db#schema`` (no credentials)."""
        return f"{redacted_url(self.url)}#{self.schema}"

    @contextmanager
    def write(self) -> Iterator[PostgresControlTransaction]:
        """One ``READ COMMITTED`` write transaction (lock keys with ``tx.lock``)."""
        begin = (f"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL search_path TO {self._quoted};"
                 f" SET LOCAL lock_timeout = '{int(self._busy_timeout_s * 1000)}ms'")
        with self._transaction(begin) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[PostgresControlTransaction]:
        """One snapshot read."""
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                               f" SET LOCAL search_path TO {self._quoted}") as tx:
            yield tx

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[PostgresControlTransaction]:
        try:
            with self._pool.connection(timeout=self._busy_timeout_s) as conn:
                try:
                    conn.execute(begin)
                except psycopg.Error as exc:
                    raise _translate(exc) from None
                try:
                    yield PostgresControlTransaction(conn, self.schema)
                except BaseException:
                    _rollback(conn)
                    raise
                try:
                    conn.execute("COMMIT")
                except psycopg.Error as exc:
                    _rollback(conn)
                    raise _translate(exc) from None
        except PoolTimeout:
            raise StoreBusyError("every control-store connection of this process stayed busy; try again") from None

    def drop_schema(self) -> None:
        """Remove the control schema and everything in it (tests and operators only)."""
        with self._pool.connection() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self._quoted} CASCADE")

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def _rollback(conn: psycopg.Connection[Any]) -> None:
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # the pool discards a broken connection


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _translate(exc: psycopg.Error) -> StoreError:
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected | pg_errors.SerializationFailure):
        return StoreBusyError("the control store stayed locked by another server; try again")
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnusableError(f"lost the connection to the control store: {_first_line(exc)}")
    return StoreError(f"control store error: {_first_line(exc)}")
