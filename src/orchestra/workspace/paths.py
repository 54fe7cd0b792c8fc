"""The one guard for every path that comes from input.

A guarded path is relative, stays inside the workspace after ``..`` and symlinks
are resolved, and contains no NUL byte. The result carries both the absolute path
and the workspace-relative POSIX form used in records.
"""

from __future__ import annotations

import os
import stat
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
    parts = _checked_parts(raw)
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


class PathGuard:
    """:func:`guard_path` for many paths under one root: the root is resolved once, and a path
    without symlinks costs one ``lstat`` per segment (a symlink hands the rest to ``realpath``).
    Same checks, same results, same errors."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._root_text = str(self._root)
        self._prefix = self._root_text.rstrip("/") + "/"

    def guard(self, raw: str) -> GuardedPath:
        """:func:`guard_path` (``root``, ``raw``)."""
        if os.name != "posix":
            return guard_path(self._root, raw)
        parts = _checked_parts(raw)
        try:
            resolved = self._resolve(parts)
        except (OSError, RuntimeError, ValueError):
            raise ValidationError("path cannot be resolved (symlink loop or invalid name)") from None
        if resolved == self._root_text:
            return GuardedPath(absolute=self._root, relative=".")
        if not resolved.startswith(self._prefix):
            raise PathOutsideWorkspaceError("path resolves outside the workspace (symlink escape)")
        return GuardedPath(absolute=Path(resolved), relative=resolved[len(self._prefix):])

    def _resolve(self, parts: tuple[str, ...]) -> str:
        current = self._root_text
        for index, part in enumerate(parts):
            candidate = self._prefix + part if current == self._root_text else f"{current}/{part}"
            try:
                is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
            except OSError:
                is_link = True  # missing or unreadable: realpath decides, as Path.resolve does
            if is_link:
                return str(Path(os.path.join(candidate, *parts[index + 1:])).resolve())
            current = candidate
        return current


def _checked_parts(raw: str) -> tuple[str, ...]:
    """The segments of a relative, NUL-free, ``..``-free path, or a coded error."""
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
    return parts
