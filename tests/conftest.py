"""Shared fixtures: temporary workspaces, an opened app, and subprocess runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestra.app import Orchestra

BIN_DIR = Path(sys.executable).parent


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


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without variables that would redirect the workspace."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR", "OPEN_ORCHESTRA_ACTIVE_RUNTIME"}}
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input_text: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed ``orchestra`` console script as a subprocess."""
    return subprocess.run(
        [str(BIN_DIR / "orchestra"), *args], cwd=cwd, env=env or clean_env(), input=input_text,
        capture_output=True, text=True, timeout=timeout, check=False,
    )
