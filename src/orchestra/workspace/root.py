"""Finding the workspace root.

Order: explicit ``--workspace`` value, ``ORCHESTRA_WORKSPACE``, ``CLAUDE_PROJECT_DIR``,
then an upward search from the current directory for ``.agent-workflow/`` or
``.git``, else the current directory itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestra.workspace.locate import ROOT_ENV_VARS, WORKFLOW_DIR, locate_root

__all__ = ["ROOT_ENV_VARS", "WORKFLOW_DIR", "RootChoice", "discover_root"]


@dataclass(frozen=True)
class RootChoice:
    """The chosen root and which signal chose it."""

    root: Path
    source: str


def discover_root(
    explicit: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> RootChoice:
    """Return the workspace root (absolute, resolved) and the signal that chose it."""
    root, source = locate_root(
        None if explicit is None else os.fspath(explicit), env=env, cwd=None if cwd is None else os.fspath(cwd)
    )
    return RootChoice(Path(root), source)
