"""Choosing the backend: SQLite in the workspace by default, PostgreSQL when a database URL is given.

``ORCHESTRA_DATABASE_URL`` (a libpq URL, ``postgresql://user@host:5432/db``) selects
PostgreSQL; ``ORCHESTRA_DATABASE_SCHEMA`` names the schema, else one is derived from
the workspace path (:func:`orchestra.store.schema_name.workspace_schema`). Hosted mode
opens one store per (tenant, workspace) scope by passing its own ``schema``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from orchestra.errors import ConfigError
from orchestra.store.base import Store
from orchestra.store.dialect import POSTGRES, SQLITE, Dialect
from orchestra.store.schema_name import check_schema_name, workspace_schema
from orchestra.store.sqlite import SQLiteStore, busy_timeout_from
from orchestra.workspace.layout import WorkspaceLayout

DATABASE_URL_ENV = "ORCHESTRA_DATABASE_URL"
DATABASE_SCHEMA_ENV = "ORCHESTRA_DATABASE_SCHEMA"
_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class StoreTarget:
    """Where a workspace's state lives."""

    dialect: Dialect
    database_url: str | None = None
    schema: str | None = None


def target_from(layout: WorkspaceLayout, environ: Mapping[str, str] | None = None) -> StoreTarget:
    """The backend the environment selects for ``layout`` (SQLite when no database URL is set)."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    if not url:
        return StoreTarget(SQLITE)
    if not url.startswith(_SCHEMES):
        raise ConfigError(f"{DATABASE_URL_ENV} must be a postgresql:// URL")
    schema = env.get(DATABASE_SCHEMA_ENV, "").strip() or workspace_schema(layout.root)
    return StoreTarget(POSTGRES, url, check_schema_name(schema))


def open_store(layout: WorkspaceLayout, *, database_url: str | None, schema: str | None,
               read_only: bool = False) -> Store:
    """The store of ``layout``: PostgreSQL at ``database_url`` in ``schema`` (derived from the workspace
    when ``None``), else the workspace's SQLite file."""
    busy = busy_timeout_from(os.environ)
    if database_url:
        from orchestra.store.postgres import PostgresStore  # psycopg is imported only when used

        return PostgresStore(database_url, schema or workspace_schema(layout.root), busy_timeout_s=busy,
                             read_only=read_only)
    return SQLiteStore(layout.db_path, read_only=read_only, busy_timeout_s=busy)


def store_exists(layout: WorkspaceLayout, target: StoreTarget) -> bool:
    """Whether the target holds a store already (SQLite: the file; PostgreSQL: the migrated schema)."""
    if target.dialect == SQLITE or not target.database_url or not target.schema:
        return layout.initialized
    from orchestra.store.postgres import schema_initialized

    return schema_initialized(target.database_url, target.schema)
