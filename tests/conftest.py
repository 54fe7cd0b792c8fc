"""Shared fixtures: temporary workspaces on each store backend, an opened app, and subprocess runners.

Every test that gets its workspace from the ``workspace`` fixture runs twice: on SQLite (the embedded
default) and on PostgreSQL (a throwaway cluster started once per session, see ``tests/pg_cluster.py``;
each test gets its own schema, derived from its own workspace path). The PostgreSQL run sets
``ORCHESTRA_DATABASE_URL`` for the test, so subprocesses (CLI, stdio server) inherit it. Tests about
SQLite itself (its file, WAL, PRAGMAs, the stdlib hook fast path) are marked ``sqlite_only``.
``ORCHESTRA_TEST_BACKENDS=sqlite`` (or ``postgres``) runs one backend only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.store.factory import DATABASE_SCHEMA_ENV, DATABASE_URL_ENV
from tests.pg_cluster import start_cluster

BACKENDS = tuple(b for b in os.environ.get("ORCHESTRA_TEST_BACKENDS", "sqlite,postgres").split(",") if b)


_PG_SKIPPED: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say once, at the end, that the PostgreSQL half did not run (and why)."""
    if _PG_SKIPPED:
        terminalreporter.write_line(f"PostgreSQL variants SKIPPED: {_PG_SKIPPED[0]} (ORCHESTRA_TEST_BACKENDS=sqlite "
                                    "runs SQLite only; `make test` installs PostgreSQL as root)", yellow=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself; not run on the PostgreSQL backend")
    config.addinivalue_line("markers", "postgres_only: about PostgreSQL itself; not run on the SQLite backend")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL variant of ``sqlite_only`` tests (instead of reporting a skip for each)."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("backend")
        if (backend == "postgres" and item.get_closest_marker("sqlite_only")) or (
                backend == "sqlite" and item.get_closest_marker("postgres_only")):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server for this run: ``TEST_DATABASE_URL``, else a throwaway cluster."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        if os.environ.get("CI"):
            raise
        _PG_SKIPPED.append(str(exc))
        pytest.skip(str(exc))
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``sqlite`` or ``postgres``: the store every Orchestra opened in this test (and its subprocesses) uses."""
    name = str(request.param)
    monkeypatch.delenv(DATABASE_SCHEMA_ENV, raising=False)
    if name == "postgres":
        monkeypatch.setenv(DATABASE_URL_ENV, request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return name


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio only (anyio's plugin would also try trio)."""
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path, backend: str) -> Path:
    """An empty workspace root (with a .git marker so discovery stops here), on ``backend``."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    return root


@pytest.fixture
def initialized(workspace: Path) -> Path:
    """``workspace`` with Orchestra state (as after ``orchestra init``)."""
    Orchestra.open(workspace).close()
    return workspace


@pytest.fixture
def app(workspace: Path) -> Iterator[Orchestra]:
    """The core services opened on ``workspace``."""
    with Orchestra.open(workspace) as opened:
        yield opened


@pytest.fixture
def open_app(workspace: Path) -> Iterator[Callable[[dict[str, Any]], Orchestra]]:
    """Open the workspace with ``config`` written to ``.agent-workflow/config.json`` first."""
    opened: list[Orchestra] = []

    def _open(config: dict[str, Any]) -> Orchestra:
        folder = workspace / ".agent-workflow"
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        app = Orchestra.open(workspace)
        opened.append(app)
        return app

    yield _open
    for app in opened:
        app.close()

