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

from orchestra.errors import WorkspaceError

WORKFLOW_DIR = ".agent-workflow"
ROOT_ENV_VARS = ("ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR")


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
    environ = os.environ if env is None else env
    start = (cwd or Path.cwd()).resolve()
    if explicit is not None and str(explicit).strip():
        return RootChoice(_existing_dir(Path(explicit), "--workspace", start), "flag")
    for var in ROOT_ENV_VARS:
        value = environ.get(var, "").strip()
        if value:
            return RootChoice(_existing_dir(Path(value), var, start), var)
    for candidate in (start, *start.parents):
        if (candidate / WORKFLOW_DIR).is_dir():
            return RootChoice(candidate, "search:.agent-workflow")
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return RootChoice(candidate, "search:.git")
    return RootChoice(start, "cwd")


def _existing_dir(path: Path, source: str, cwd: Path) -> Path:
    resolved = (cwd / path).resolve() if not path.is_absolute() else path.resolve()
    if not resolved.is_dir():
        raise WorkspaceError(f"workspace from {source} is not a directory: {path}")
    return resolved
