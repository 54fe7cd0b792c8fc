"""The workspace-root rules on plain strings (``os.path`` only, for the per-prompt hook path).

Order:

1. an explicit value (``--workspace``), then ``ORCHESTRA_WORKSPACE``, then ``CLAUDE_PROJECT_DIR``
   (these may name any directory, the home folder included);
2. otherwise an upward search from the current directory: the **nearest** folder holding
   ``.agent-workflow/`` or ``.git`` wins, whichever marker it is. A ``.git`` is a project
   boundary: the search never continues above it. The search never chooses, and never
   climbs past, the home folder or ``/``;
3. otherwise the current directory itself, unless that is the home folder or ``/``: then
   there is no workspace (:class:`WorkspaceError`), so nothing is ever created there by accident.

:func:`orchestra.workspace.root.discover_root` wraps this.
"""

from __future__ import annotations

import os

from orchestra.errors import WorkspaceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

WORKFLOW_DIR = ".agent-workflow"
STATE_DB_NAME = "state.db"
ROOT_ENV_VARS = ("ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR")
NOT_A_WORKSPACE = (
    "{where} is never used as a workspace unless named explicitly; run Orchestra inside a project "
    "(a folder with .git or .agent-workflow/), or name one with --workspace or ORCHESTRA_WORKSPACE"
)


def locate_root(explicit: str | None = None, *, env: Mapping[str, str] | None = None,
                cwd: str | None = None) -> tuple[str, str]:
    """Return ``(absolute resolved root, signal that chose it)``; the signal is ``flag``, an
    environment variable's name, ``search:.agent-workflow``, ``search:.git`` or ``cwd``."""
    environ = os.environ if env is None else env
    start = os.path.realpath(cwd if cwd is not None else os.getcwd())
    if explicit is not None and explicit.strip():
        return _existing_dir(explicit, "--workspace", start), "flag"
    for var in ROOT_ENV_VARS:
        value = environ.get(var, "").strip()
        if value:
            return _existing_dir(value, var, start), var
    stops = _search_stops(environ)
    candidate = start
    while candidate not in stops:
        if os.path.isdir(os.path.join(candidate, WORKFLOW_DIR)):
            return candidate, "search:" + WORKFLOW_DIR
        if os.path.lexists(os.path.join(candidate, ".git")):
            return candidate, "search:.git"
        parent = os.path.dirname(candidate)
        if parent == candidate:
            break
        candidate = parent
    if start in stops:
        raise WorkspaceError(NOT_A_WORKSPACE.format(where=_describe(start, environ)))
    return start, "cwd"


def is_initialized(root: str) -> bool:
    """Whether ``root`` holds Orchestra state (its database); reading commands create none."""
    return os.path.isfile(os.path.join(root, WORKFLOW_DIR, STATE_DB_NAME))


def _search_stops(environ: Mapping[str, str]) -> set[str]:
    """Folders the upward search never chooses and never climbs past: ``/`` and the home folder."""
    stops = {os.path.realpath(os.sep)}
    home = environ.get("HOME", "").strip() or os.path.expanduser("~")
    if home and home != "~" and os.path.isabs(home):
        stops.add(os.path.realpath(home))
    return stops


def _describe(path: str, environ: Mapping[str, str]) -> str:
    home = environ.get("HOME", "").strip()
    if home and os.path.realpath(home) == path:
        return f"the home folder ({path})"
    return "/" if path == os.path.realpath(os.sep) else path


def _existing_dir(path: str, source: str, cwd: str) -> str:
    resolved = os.path.realpath(os.path.join(cwd, path))
    if not os.path.isdir(resolved):
        raise WorkspaceError(f"workspace from {source} is not a directory: {path}")
    return resolved
