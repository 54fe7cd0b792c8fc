"""The one guard for every path that comes from input.

A guarded path is relative, stays inside the workspace after ``..`` and symlinks
are resolved, and contains no NUL byte. The result carries both the absolute path
and the workspace-relative POSIX form used in records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from orchestra.errors import PathOutsideWorkspaceError, ValidationError

MAX_PATH_CHARS = 1024


@dataclass(frozen=True)
class GuardedPath:
    """A path proven to live inside the workspace."""

    absolute: Path
    relative: str


def guard_path(root: Path, raw: str) -> GuardedPath:
    """Resolve ``raw`` against ``root`` or raise a coded error; never touches the file."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("path must be a non-empty string")
    if len(raw) > MAX_PATH_CHARS:
        raise ValidationError(f"path is longer than {MAX_PATH_CHARS} characters")
    if "\x00" in raw:
        raise ValidationError("path contains a NUL byte")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("path is not valid Unicode text") from None
    text = raw.strip().replace("\\", "/")
    if text.startswith("/") or PureWindowsPath(raw).is_absolute() or PureWindowsPath(raw).drive:
        raise PathOutsideWorkspaceError("path must be relative to the workspace, not absolute")
    parts = PurePosixPath(text).parts
    if any(part == ".." for part in parts):
        raise PathOutsideWorkspaceError("path must not contain '..' segments")
    root_resolved = root.resolve()
    candidate = root_resolved.joinpath(*parts) if parts else root_resolved
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        raise ValidationError("path cannot be resolved (symlink loop or invalid name)") from None
    try:
        relative = resolved.relative_to(root_resolved)
    except ValueError:
        raise PathOutsideWorkspaceError("path resolves outside the workspace (symlink escape)") from None
    rel = relative.as_posix()
    return GuardedPath(absolute=resolved, relative="." if rel in ("", ".") else rel)
