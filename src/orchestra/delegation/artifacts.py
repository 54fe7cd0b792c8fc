"""Where a session's files live, and writing them atomically (removed again if admission fails)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from orchestra.delegation.model import SessionArtifacts
from orchestra.workspace.atomic import atomic_write_text
from orchestra.workspace.layout import WorkspaceLayout

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(session_id: str) -> str:
    """A file-name-safe form of a session id."""
    return _UNSAFE.sub("-", session_id).strip("-.")[:180]


def plan(layout: WorkspaceLayout, session_id: str) -> SessionArtifacts:
    """Workspace-relative artifact paths for ``session_id``."""
    base = f"{layout.relative(layout.workflow_dir)}/runs/{slug(session_id)}"
    return SessionArtifacts(
        prompt=f"{base}-spawn-prompt.md",
        request=f"{base}-spawn-request.md",
        request_json=f"{base}-spawn-request.json",
        context_manifest=f"{base}-context-manifest.json",
        expected_result=f"{layout.relative(layout.workflow_dir)}/handoffs/{slug(session_id)}-handoff.md",
    )


def write_all(root: Path, files: dict[str, str]) -> list[Path]:
    """Write each ``relative path -> text`` atomically; returns what was written."""
    written: list[Path] = []
    try:
        for relative, text in files.items():
            target = root / relative
            atomic_write_text(target, text)
            written.append(target)
    except BaseException:
        remove_all(written)
        raise
    return written


def remove_all(paths: list[Path]) -> None:
    """Delete files written for an admission that did not happen."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
