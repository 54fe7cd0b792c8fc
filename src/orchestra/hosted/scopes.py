"""Scopes: each (tenant, workspace) is its own Orchestra workspace, rooted under the data dir.

``<data-dir>/scopes/<tenant>/<workspace>/`` holds that scope's ``.agent-workflow/`` (its config, key and
artifacts). On PostgreSQL the scope's key (``keys/workspace.key``) is the deployment's shared one for
that scope, kept wrapped in the control store (:class:`orchestra.hosted.keyring.SharedKeys`) and written
to the folder before the scope is opened, so a server on another machine (another data dir) keys the
scope's audit chain, approvals and digests the same way. Its store is either the SQLite file in that
folder (the default) or, with a PostgreSQL database URL, **one schema per scope** in that database
(:func:`scope_schema`): the PostgreSQL backend serialises writers per schema, so tenants never wait on
each other's writes, and no query of one scope can name another scope's tables (every statement runs
with ``search_path`` set to the scope's schema). Because a principal is only ever served by its own
scope's services, no query can reach another scope's rows on either backend.

The scope's store is chosen here, explicitly: ``ORCHESTRA_DATABASE_SCHEMA`` (one schema for a local
workspace) is never used for a hosted scope, since it would put every tenant in one schema.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from orchestra.app import Orchestra
from orchestra.errors import ConfigError
from orchestra.hosted.principal import check_scope_id
from orchestra.store.dialect import POSTGRES, SQLITE
from orchestra.store.factory import DATABASE_URL_ENV, StoreTarget
from orchestra.store.schema_name import check_schema_name
from orchestra.workspace.layout import WorkspaceLayout
from orchestra.workspace.paths import guard_path
from orchestra.workspace.secret_key import load_key, load_or_create_key

if TYPE_CHECKING:
    from orchestra.hosted.keyring import SharedKeys

ScopeOpener = Callable[[str, str], Orchestra]
"""``(tenant, workspace) -> Orchestra`` for that scope (the caller closes it)."""

SCHEMA_PREFIX = "orch_t_"
SCHEMA_PREFIX_ENV = "ORCHESTRA_DATABASE_SCHEMA_PREFIX"
"""A deployment's own prefix for its scope schemas (two deployments can share one database)."""
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,19}")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def scope_root(data_dir: Path, tenant: str, workspace: str) -> Path:
    """The scope's folder, through the identifier checks and the path guard (created if needed)."""
    check_scope_id(tenant, "tenant")
    check_scope_id(workspace, "workspace")
    base = data_dir.resolve()
    root = guard_path(base, f"scopes/{tenant}/{workspace}").absolute
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def check_schema_prefix(prefix: str) -> str:
    """``prefix`` when it is 1-20 characters of ``a-z``, ``0-9``, ``_`` starting with a letter."""
    if not _PREFIX.fullmatch(prefix) or prefix.startswith("pg_"):
        raise ConfigError(f"{SCHEMA_PREFIX_ENV} must be 1-20 characters of a-z, 0-9 and _, starting with a letter")
    return prefix


def scope_schema(tenant: str, workspace: str, prefix: str = SCHEMA_PREFIX) -> str:
    """The PostgreSQL schema of a scope: ``<prefix><readable part>_<hash of tenant and workspace>``.

    Deterministic (every server process, on any host, finds the same schema), at most 63 characters, and
    distinct for distinct scopes: the readable part is cut and its ``-`` folded to ``_``, so the hash of
    the exact pair (``tenant/workspace``; ``/`` cannot occur in an id) is what tells scopes apart."""
    check_scope_id(tenant, "tenant")
    check_scope_id(workspace, "workspace")
    check_schema_prefix(prefix)
    digest = hashlib.sha256(f"{tenant}/{workspace}".encode()).hexdigest()[:16]
    room = 63 - len(prefix) - 1 - len(digest)
    readable = re.sub(r"[^a-z0-9]+", "_", f"{tenant}__{workspace}".lower()).strip("_")[:room].rstrip("_")
    return check_schema_name(f"{prefix}{readable}_{digest}")


def schema_prefix_from(environ: Mapping[str, str]) -> str:
    """The deployment's schema prefix (``ORCHESTRA_DATABASE_SCHEMA_PREFIX``, default ``orch_t_``)."""
    return check_schema_prefix(environ.get(SCHEMA_PREFIX_ENV, "").strip() or SCHEMA_PREFIX)


def scope_key_name(tenant: str, workspace: str) -> str:
    """The shared key's name of a scope."""
    return f"scope:{check_scope_id(tenant, 'tenant')}/{check_scope_id(workspace, 'workspace')}"


def install_scope_key(root: Path, keys: SharedKeys, tenant: str, workspace: str) -> None:
    """Make the scope folder's ``workspace.key`` the deployment's shared key of the scope.

    A folder that already has a key (a scope served by this machine before its state was shared) offers
    it as the shared key when none is stored yet; a folder whose key differs from the stored one is refused
    (it would key the scope's audit chain differently from every other server)."""
    path = WorkspaceLayout(root).secret_key_path
    local = load_key(path)
    shared = keys.get(scope_key_name(tenant, workspace), adopt=local)
    if local is None:
        local = load_or_create_key(path, new_key=shared)
    if local != shared:
        raise ConfigError(f"the scope {tenant}/{workspace} has a key in this data dir that differs from the "
                          "deployment's shared key: this data dir served the scope on its own before; move "
                          f"{path.name} away (the shared key is written in its place) or restore the shared one",
                          details={"tenant": tenant, "workspace": workspace})


def sqlite_scope_opener(data_dir: Path) -> ScopeOpener:
    """Open each scope as a SQLite workspace under ``data_dir``, created when first served (a scope
    exists once a credential for it was issued and used, so a reader sees an empty workspace)."""

    def open_scope(tenant: str, workspace: str) -> Orchestra:
        return Orchestra.open(scope_root(data_dir, tenant, workspace), target=StoreTarget(SQLITE))

    return open_scope


def postgres_scope_opener(data_dir: Path, database_url: str, prefix: str = SCHEMA_PREFIX,
                          keys: SharedKeys | None = None,
                          environ: Mapping[str, str] | None = None) -> ScopeOpener:
    """Open each scope with its state in its own schema of the PostgreSQL database at ``database_url``
    (created and migrated when first served); its folder under ``data_dir`` keeps config and artifacts.

    ``keys`` (the server's shared keys; by default the control store the environment names, opened for
    each scope opening) provides the scope's key, so servers with different data dirs on several machines
    serve one scope alike."""
    if not database_url.startswith(_POSTGRES_SCHEMES):
        raise ConfigError(f"{DATABASE_URL_ENV} must be a postgresql:// URL")
    check_schema_prefix(prefix)

    def open_scope(tenant: str, workspace: str) -> Orchestra:
        root = scope_root(data_dir, tenant, workspace)
        if keys is None:
            from orchestra.hosted.control_open import open_control

            control = open_control(data_dir, environ)
            try:
                assert control.keys is not None
                install_scope_key(root, control.keys, tenant, workspace)
            finally:
                control.close()
        else:
            install_scope_key(root, keys, tenant, workspace)
        target = StoreTarget(POSTGRES, database_url, scope_schema(tenant, workspace, prefix))
        return Orchestra.open(root, target=target)

    return open_scope


def scope_opener(data_dir: Path, environ: Mapping[str, str] | None = None,
                 keys: SharedKeys | None = None) -> ScopeOpener:
    """The opener the environment selects: PostgreSQL when ``ORCHESTRA_DATABASE_URL`` is set (schemas
    prefixed by ``ORCHESTRA_DATABASE_SCHEMA_PREFIX``, default ``orch_t_``; scope keys from ``keys``, the
    server's shared keys, else from the control store the environment names), else SQLite."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    if not url:
        return sqlite_scope_opener(data_dir)
    return postgres_scope_opener(data_dir, url, schema_prefix_from(env), keys, env)
