"""The workspace-root rules on plain strings (``os.path`` only, for the per-prompt hook path).

Order: explicit value, ``ORCHESTRA_WORKSPACE``, ``CLAUDE_PROJECT_DIR``, then an upward
search from the current directory for ``.agent-workflow/`` or ``.git``, else the
current directory. :func:`orchestra.workspace.root.discover_root` wraps this.
"""

from __future__ import annotations

import os

from orchestra.errors import WorkspaceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

WORKFLOW_DIR = ".agent-workflow"
ROOT_ENV_VARS = ("ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR")


def locate_root(explicit: str | None = None, *, env: Mapping[str, str] | None = None,
                cwd: str | None = None) -> tuple[str, str]:
    """Return ``(absolute resolved root, signal that chose it)``."""
    environ = os.environ if env is None else env
    start = os.path.realpath(cwd if cwd is not None else os.getcwd())
    if explicit is not None and explicit.strip():
        return _existing_dir(explicit, "--workspace", start), "flag"
    for var in ROOT_ENV_VARS:
        value = environ.get(var, "").strip()
        if value:
            return _existing_dir(value, var, start), var
    for marker, exists, source in ((WORKFLOW_DIR, os.path.isdir, "search:.agent-workflow"),
                                   (".git", os.path.exists, "search:.git")):
        candidate = start
        while True:
            if exists(os.path.join(candidate, marker)):
                return candidate, source
            parent = os.path.dirname(candidate)
            if parent == candidate:
                break
            candidate = parent
    return start, "cwd"


def _existing_dir(path: str, source: str, cwd: str) -> str:
    resolved = os.path.realpath(os.path.join(cwd, path))
    if not os.path.isdir(resolved):
        raise WorkspaceError(f"workspace from {source} is not a directory: {path}")
    return resolved
