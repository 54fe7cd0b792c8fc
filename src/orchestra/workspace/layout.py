"""The ``.agent-workflow/`` layout: where each artifact and the state store live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestra.workspace.locate import STATE_DB_NAME, WORKFLOW_DIR

SCAFFOLD_DIRS = ("exports", "runtime-sessions", "sessions", "context", "handoffs")
GITIGNORE_TEXT = (
    "# Orchestra state stays on this machine: the database, keys, runtime records, prompts,\n"
    "# handoffs and exports. Only this file and config.json are meant for version control.\n"
    "*\n!.gitignore\n!config.json\n"
)
LEGACY_GITIGNORE_TEXTS = (
    "# Orchestra state: the database and exports stay local.\n"
    "state.db\nstate.db-wal\nstate.db-shm\nkeys/\nexports/\nruntime-sessions/\nactive-runtime.json\n",
)
"""What earlier versions wrote; replaced by :data:`GITIGNORE_TEXT` (a hand-edited file is kept)."""


@dataclass(frozen=True)
class WorkspaceLayout:
    """Absolute paths of everything Orchestra keeps in a workspace."""

    root: Path

    @property
    def workflow_dir(self) -> Path:
        return self.root / WORKFLOW_DIR

    @property
    def config_path(self) -> Path:
        return self.workflow_dir / "config.json"

    @property
    def db_path(self) -> Path:
        return self.workflow_dir / STATE_DB_NAME

    @property
    def secret_key_path(self) -> Path:
        return self.workflow_dir / "keys" / "workspace.key"

    @property
    def fragment_keys_dir(self) -> Path:
        """Key-encryption keys of restricted fragments (one 0600 file per tenant and version)."""
        return self.workflow_dir / "keys" / "fragments"

    @property
    def exports_dir(self) -> Path:
        return self.workflow_dir / "exports"

    def relative(self, path: Path) -> str:
        """Workspace-relative POSIX form of ``path`` (which must be inside the root)."""
        return path.relative_to(self.root).as_posix()

    @property
    def gitignore_path(self) -> Path:
        return self.workflow_dir / ".gitignore"

    @property
    def initialized(self) -> bool:
        """Whether the workspace holds Orchestra state (its database). Reads never create it."""
        return self.db_path.is_file()

    def ensure_workflow_dir(self) -> list[str]:
        """Create ``.agent-workflow/`` and its ``.gitignore`` if needed (the first write does this);
        return what was created (relative paths)."""
        created: list[str] = []
        if not self.workflow_dir.is_dir():
            self.workflow_dir.mkdir(parents=True, exist_ok=True)
            created.append(WORKFLOW_DIR)
        if self._write_gitignore():
            created.append(self.relative(self.gitignore_path))
        return created

    def _write_gitignore(self) -> bool:
        """Write the ``.gitignore`` when absent or left as an earlier version wrote it."""
        from orchestra.workspace.atomic import atomic_write_text

        try:
            current = self.gitignore_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except (OSError, UnicodeDecodeError):
            return False  # unreadable: the user's file, left alone
        if current is not None and current not in LEGACY_GITIGNORE_TEXTS:
            return False
        atomic_write_text(self.gitignore_path, GITIGNORE_TEXT)
        return current is None

    def is_read_only(self) -> bool:
        """True when Orchestra's folder (or, before it exists, the root) cannot be written by this process."""
        folder = self.workflow_dir if self.workflow_dir.is_dir() else self.root
        if not os.access(folder, os.W_OK):
            return True
        return self.db_path.exists() and not os.access(self.db_path, os.W_OK)

    def scaffold(self) -> list[str]:
        """Create the folders and the ``.gitignore``; return what was created (relative paths)."""
        created = self.ensure_workflow_dir()
        for name in SCAFFOLD_DIRS:
            folder = self.workflow_dir / name
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                created.append(self.relative(folder))
        return created
