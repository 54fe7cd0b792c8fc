"""The store interface services depend on.

Services write portable SQL with ``?`` placeholders and run it inside
``store.write()`` (one serialised write transaction: check, insert and audit event
commit together or not at all) or ``store.read()`` (a consistent snapshot). A
PostgreSQL backend implements the same two context managers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from orchestra.store.dialect import Dialect

Row = Mapping[str, Any]


class Transaction(Protocol):
    """An open transaction."""

    dialect: Dialect
    """``"sqlite"`` or ``"postgres"``: for the few statements that must be spelled per backend."""

    def now(self) -> datetime:
        """The store's clock (PostgreSQL: the database server's), for lease expiry shared by processes."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a query; return its first row or ``None``."""
        ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query; return every row."""
        ...

    def iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Run a query; yield rows without loading them all."""
        ...


class Store(Protocol):
    """A transactional state store shared by every process of a workspace."""

    dialect: Dialect

    @property
    def schema_version(self) -> int:
        """The schema version the store is at."""
        ...

    @property
    def read_only(self) -> bool:
        """True when the store was opened read-only (``write()`` raises ``read_only``)."""
        ...

    def write(self) -> AbstractContextManager[Transaction]:
        """A write transaction, serialised across processes; commits on success."""
        ...

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only snapshot."""
        ...

    def purge_journal(self) -> None:
        """After an erasure: make sure erased content does not linger in journal files."""
        ...

    def check_integrity(self) -> list[str]:
        """What the backend's own integrity check reports (SQLite: ``quick_check``); empty when sound."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
