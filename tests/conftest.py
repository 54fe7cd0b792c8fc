"""Shared fixtures: temporary workspaces, an opened app, and subprocess runners."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
def app(workspace: Path) -> Iterator[Orchestra]:
    """The core services opened on ``workspace``."""
    with Orchestra.open(workspace) as opened:
        yield opened
