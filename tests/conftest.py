"""Shared fixtures: temporary workspaces, an opened app, and subprocess runners."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio only (anyio's plugin would also try trio)."""
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace root (with a .git marker so discovery stops here)."""
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

