"""Where the hosted control state lives: the one place that chooses.

Without ``ORCHESTRA_DATABASE_URL``: ``<data-dir>/control.db`` and the token key in
``<data-dir>/keys/token-hmac.key`` (one machine; several processes on it share the file). With it: the
control schema ``<prefix>control`` of that PostgreSQL database (``<prefix>`` is the deployment's
``ORCHESTRA_DATABASE_SCHEMA_PREFIX``, default ``orch_t_``, so two deployments on one database keep
separate control stores) and the token key and scope keys wrapped in it under the master key
(:mod:`orchestra.hosted.keyring`): servers on several machines, each with its own data dir, share
tokens, revocations, rate and concurrency limits and keys.

When the PostgreSQL control schema is created, the API tokens of the data dir's ``control.db`` (if any)
are copied into it, and the data dir's token key becomes the shared one if none is stored yet: a
deployment that grows from one machine keeps its tokens.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestra.errors import ConfigError
from orchestra.hosted.control import Control, ControlStore
from orchestra.hosted.keyring import SharedKeys, master_key_from
from orchestra.store.factory import DATABASE_URL_ENV
from orchestra.store.schema_name import check_schema_name
from orchestra.workspace.secret_key import load_key, load_or_create_key

log = logging.getLogger("orchestra.hosted")
TOKEN_KEY_NAME = "token-hmac"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_TOKEN_COLUMNS = "token_id, digest, tenant, workspace, scope, label, created_at, expires_at, revoked_at"


def database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The PostgreSQL URL hosted mode uses, or ``None`` (SQLite)."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    if not url:
        return None
    if not url.startswith(_POSTGRES_SCHEMES):
        raise ConfigError(f"{DATABASE_URL_ENV} must be a postgresql:// URL")
    return url


def control_schema(prefix: str) -> str:
    """The control schema of a deployment whose scope schemas start with ``prefix``."""
    return check_schema_name(f"{prefix}control")


@dataclass
class HostedControl:
    """The control store, the token key and (on PostgreSQL) the shared keys of one process."""

    store: Control
    token_key: bytes
    keys: SharedKeys | None = None

    @property
    def shared(self) -> bool:
        """Whether the state is shared by several machines (PostgreSQL)."""
        return self.keys is not None

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


def open_control(data_dir: Path, environ: Mapping[str, str] | None = None) -> HostedControl:
    """The control state the environment selects for ``data_dir`` (see the module doc)."""
    env = os.environ if environ is None else environ
    url = database_url(env)
    local_key_path = data_dir / "keys" / "token-hmac.key"
    if url is None:
        return HostedControl(ControlStore(data_dir / "control.db"), load_or_create_key(local_key_path))
    from orchestra.hosted.scopes import schema_prefix_from

    master = master_key_from(env)  # before any connection: a missing key is a configuration error
    prefix = schema_prefix_from(env)
    from orchestra.hosted.control_pg import PostgresControlStore

    store = PostgresControlStore(url, control_schema(prefix))
    try:
        keys = SharedKeys(store, master)
        keys.verify()
        token_key = keys.get(TOKEN_KEY_NAME, adopt=load_key(local_key_path))
        if store.created:
            _import_tokens(data_dir / "control.db", store)
        return HostedControl(store, token_key, keys)
    except BaseException:
        store.close()
        raise


def _import_tokens(path: Path, target: Control) -> None:
    """Copy the API tokens of a local ``control.db`` into a fresh shared control store."""
    if not path.is_file():
        return
    local = ControlStore(path)
    try:
        with local.read() as tx:
            rows = tx.fetchall(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens")
    finally:
        local.close()
    with target.write() as tx:
        for row in rows:
            tx.execute(f"INSERT INTO api_tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT DO NOTHING", row)
    if rows:
        log.info("copied %d API tokens of %s into the shared control store", len(rows), path)
