"""Fixtures for the hosted layer: a data dir with tokens, and a server process over it.

``scope_backend`` runs a test with the scopes' state on SQLite and on PostgreSQL (through the suite's
``backend`` fixture, which sets ``ORCHESTRA_DATABASE_URL`` for the test and its server processes); on
PostgreSQL each test gets its own schema prefix, since scope schemas are named by tenant and workspace (and
so its own control schema ``<prefix>control``), and a master key for the keys wrapped in that schema.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestra.hosted.control import ControlStore
from orchestra.hosted.keyring import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV
from orchestra.hosted.scopes import SCHEMA_PREFIX_ENV
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import HostedServer, start_server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty hosted data dir."""
    folder = tmp_path / "hosted"
    folder.mkdir()
    return folder


@pytest.fixture
def tokens(data_dir: Path) -> Iterator[TokenService]:
    """The token service over the data dir's control store."""
    control = ControlStore(data_dir / "control.db")
    yield TokenService(control, TokenService.open_key(data_dir))
    control.close()


@pytest.fixture
def scope_backend(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``sqlite`` or ``postgres``: where the hosted scopes of this test (and its servers) keep their state."""
    monkeypatch.delenv(SCHEMA_PREFIX_ENV, raising=False)
    monkeypatch.delenv(MASTER_KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    if backend == "postgres":
        digest = hashlib.sha256(str(tmp_path).encode()).hexdigest()[:12]
        monkeypatch.setenv(SCHEMA_PREFIX_ENV, f"t{digest}_")
        monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    return backend


@pytest.fixture
def server(data_dir: Path, scope_backend: str) -> Iterator[HostedServer]:
    """A hosted server (API tokens) on the data dir."""
    running = start_server(data_dir)
    yield running
    running.stop()
