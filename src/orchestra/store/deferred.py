"""A store opened on first use: reads need an existing database, the first write creates it.

This is how "reading never creates state" holds everywhere at once: a read-only command,
tool or resource in a folder Orchestra has not initialized fails with ``not_initialized``
and leaves the folder untouched, while the first write (``init``, ``task_add``, a spawn)
creates ``.agent-workflow/``, its ``.gitignore``, the key and the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from orchestra.errors import NotInitializedError
from orchestra.store.base import Store, Transaction
from orchestra.store.dialect import SQLITE, Dialect

NOT_INITIALIZED = "Orchestra is not initialized here; run `orchestra init` (or make a first write such as task_add)"


class DeferredStore:
    """Wraps the real store, opening it only when a transaction needs it."""

    def __init__(self, *, exists: Callable[[], bool], initialize: Callable[[], None],
                 open_store: Callable[[], Store], dialect: Dialect = SQLITE) -> None:
        self.dialect = dialect
        self._exists = exists
        self._initialize = initialize
        self._open_store = open_store
        self._store: Store | None = None
        self._lock = threading.Lock()

    @property
    def initialized(self) -> bool:
        """Whether the database exists (or is open): SQLite its file, PostgreSQL its migrated schema."""
        return self._store is not None or self._exists()

    @property
    def schema_version(self) -> int:
        """The schema version; 0 while there is no database."""
        if not self.initialized:
            return 0
        return self._get(create=False).schema_version

    @property
    def read_only(self) -> bool:
        """Whether the existing database refuses writes (False while there is none)."""
        return self.initialized and self._get(create=False).read_only

    def purge_journal(self) -> None:
        """Forwarded to the real store (nothing to purge before it exists)."""
        if self._store is not None:
            self._store.purge_journal()

    def check_integrity(self) -> list[str]:
        """The real store's integrity check (nothing to check before it exists)."""
        return self._get(create=False).check_integrity() if self.initialized else []

    def read(self) -> AbstractContextManager[Transaction]:
        """A snapshot of the existing database; ``not_initialized`` when there is none."""
        return self._get(create=False).read()

    def write(self) -> AbstractContextManager[Transaction]:
        """A write transaction, creating the workspace state first when there is none."""
        return self._get(create=True).write()

    def open(self) -> Store:
        """The real store, created when missing."""
        return self._get(create=True)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _get(self, *, create: bool) -> Store:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                if not self._exists():
                    if not create:
                        raise NotInitializedError(NOT_INITIALIZED)
                    self._initialize()
                self._store = self._open_store()
            return self._store
