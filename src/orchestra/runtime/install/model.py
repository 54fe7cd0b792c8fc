"""The records that planning produces and the report that ``init`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Action = Literal["create", "update", "unchanged", "repair", "drift", "conflict", "manual"]
"""``repair``: the file was corrupt; it is backed up and rewritten. ``drift``: someone edited a
managed block (left alone unless ``--force``). ``conflict``: left alone, needs a person (see note).
``manual``: nothing is written; the note says what to do (e.g. a global config)."""

PENDING: frozenset[str] = frozenset({"create", "update", "repair"})


@dataclass
class FileChange:
    """One file that ``init`` manages for one target."""

    path: str
    """Workspace-relative POSIX path, or ``~/…`` for a file in the home directory."""
    target: str
    kind: str
    """``mcp``, ``hooks``, ``rules``, ``instructions`` or ``workspace``."""
    action: Action
    absolute: Path | None = None
    content: bytes | None = None
    backup: str | None = None
    backup_content: bytes | None = None
    note: str | None = None
    drifted: bool = False
    """Hand edits to entries of ours were kept (the rest of the file may still be updated)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "target": self.target, "kind": self.kind, "action": self.action}
        if self.backup:
            out["backup"] = self.backup
        if self.drifted:
            out["drifted"] = True
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class InitOptions:
    """How to install."""

    targets: list[str]
    portable: bool = False
    """Write bare ``orchestra``/``orchestra-mcp`` (found on PATH) instead of absolute paths."""
    force: bool = False
    """Rewrite managed blocks that drifted."""
    windsurf_global: bool = False
    """Also merge the server into ``~/.codeium/windsurf/mcp_config.json`` (Windsurf has no project file)."""
    home: Path | None = None


@dataclass
class InitReport:
    """Every file written or left alone, plus instructions for what ``init`` cannot do itself."""

    workspace: str
    targets: list[str]
    files: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: Literal["apply", "dry-run", "check"] = "apply"

    @property
    def pending(self) -> bool:
        """Something would be (or was) created, updated or repaired."""
        return any(f.action in PENDING for f in self.files)

    @property
    def drift(self) -> bool:
        """A managed block was edited by hand, or a file needs a person."""
        return any(f.action in ("drift", "conflict") or f.drifted for f in self.files)

    @property
    def conflict(self) -> bool:
        """A file was left alone because it needs a person."""
        return any(f.action == "conflict" for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "targets": self.targets, "mode": self.mode,
                "changed": self.pending, "drift": self.drift, "conflict": self.conflict,
                "files": [f.to_dict() for f in self.files], "notes": self.notes}
