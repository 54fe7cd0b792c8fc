"""A raw connection to a workspace's store, past Orchestra (tampering tests), on either backend.

SQLite: the workspace's ``state.db``. PostgreSQL: the schema the test's ``ORCHESTRA_DATABASE_URL``
and the workspace path select, with ``?`` placeholders translated. Rows are read by name or position.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestra.store.dialect import quote_identifier, to_pyformat
from orchestra.store.factory import DATABASE_URL_ENV, target_from
from orchestra.store.migrations import MIGRATIONS
from orchestra.workspace.layout import WorkspaceLayout


class RawConnection:
    """``execute(sql, params)`` returning a cursor; ``drop_trigger``/``restore_triggers``; ``close``."""

    def __init__(self, workspace: Path) -> None:
        layout = WorkspaceLayout(workspace.resolve())
        target = target_from(layout, os.environ)
        self.dialect = target.dialect
        if target.dialect == "sqlite":
            self._sqlite = sqlite3.connect(layout.db_path, isolation_level=None)
            self._sqlite.row_factory = sqlite3.Row
            return
        import psycopg

        from orchestra.store.postgres import _row_factory

        assert target.database_url and target.schema
        self._pg = psycopg.connect(target.database_url, autocommit=True, cursor_factory=psycopg.ClientCursor,
                                   row_factory=_row_factory)
        self._pg.execute(f"SET search_path TO {quote_identifier(target.schema)}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "sqlite":
            return self._sqlite.execute(sql, params)
        return self._pg.execute(to_pyformat(sql), list(params)) if params else self._pg.execute(sql)

    def drop_trigger(self, name: str) -> None:
        if self.dialect == "sqlite":
            self._sqlite.execute(f"DROP TRIGGER IF EXISTS {name}")
            return
        row = self._pg.execute("SELECT c.relname AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
                               " WHERE g.tgname = %s AND c.relnamespace = current_schema()::regnamespace",
                               (name,)).fetchone()
        if row is not None:
            self._pg.execute(f"DROP TRIGGER {name} ON {row['t']}")

    def restore_triggers(self, names: Sequence[str]) -> None:
        """Put triggers back exactly as the migrations create them (an attacker would)."""
        for migration in MIGRATIONS:
            for statement in migration.statements_for(self.dialect):
                if "CREATE TRIGGER" in statement and any(f"TRIGGER {name} " in statement for name in names):
                    self.execute(statement)

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._pg.close()


def raw(workspace: Path) -> RawConnection:
    """A raw connection to ``workspace``'s store on the backend the environment selects."""
    return RawConnection(workspace)


def on_postgres() -> bool:
    """Whether this test runs on the PostgreSQL backend."""
    return bool(os.environ.get(DATABASE_URL_ENV))
