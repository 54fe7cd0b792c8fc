"""Scopes: each (tenant, workspace) is its own Orchestra workspace, rooted under the data dir.

``<data-dir>/scopes/<tenant>/<workspace>/`` holds that scope's ``.agent-workflow/`` (its own store,
key, artifacts). Because a principal is only ever served by its own scope's services, no query can
reach another scope's rows. :data:`ScopeOpener` is the seam a PostgreSQL deployment plugs into (one
schema per scope); the default opener uses SQLite files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestra.app import Orchestra
from orchestra.hosted.principal import check_scope_id
from orchestra.workspace.paths import guard_path

ScopeOpener = Callable[[str, str], Orchestra]
"""``(tenant, workspace) -> Orchestra`` for that scope (the caller closes it)."""


def scope_root(data_dir: Path, tenant: str, workspace: str) -> Path:
    """The scope's folder, through the identifier checks and the path guard (created if needed)."""
    check_scope_id(tenant, "tenant")
    check_scope_id(workspace, "workspace")
    base = data_dir.resolve()
    root = guard_path(base, f"scopes/{tenant}/{workspace}").absolute
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def sqlite_scope_opener(data_dir: Path) -> ScopeOpener:
    """Open each scope as a SQLite workspace under ``data_dir``, created when first served (a scope
    exists once a credential for it was issued and used, so a reader sees an empty workspace)."""

    def open_scope(tenant: str, workspace: str) -> Orchestra:
        return Orchestra.open(scope_root(data_dir, tenant, workspace))

    return open_scope
