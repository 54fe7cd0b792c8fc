"""Helpers for tests: clean environments and subprocess runners for the console scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN_DIR = Path(sys.executable).parent


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
