"""A bounded listing of a directory, so a child sees what is inside without raw contents."""

from __future__ import annotations

import os
from pathlib import Path

MAX_ENTRIES = 40
SKIPPED_NAMES = frozenset({".git", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".ruff_cache",
                           ".pytest_cache", ".agent-workflow"})


def directory_listing(path: Path, relative: str, max_lines: int) -> list[str]:
    """Header, up to ``MAX_ENTRIES`` sorted entries (folders end with '/'), and a count of the rest."""
    try:
        with os.scandir(path) as scan:
            entries = sorted((e for e in scan if e.name not in SKIPPED_NAMES), key=lambda e: e.name)
    except OSError:
        entries = []
    folders = sum(1 for e in entries if _is_dir(e))
    header = f"Directory reference: {relative}/ ({len(entries) - folders} files, {folders} folders)"
    limit = max(0, min(MAX_ENTRIES, max_lines - 2))
    shown = [f"- {e.name}/" if _is_dir(e) else f"- {e.name}" for e in entries[:limit]]
    lines = [header, *shown]
    if len(entries) > limit:
        lines.append(f"- ... {len(entries) - limit} more entries")
    return lines[:max_lines]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
