"""The ``.agent-workflow/`` layout: where each artifact and the state store live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestra.workspace.root import WORKFLOW_DIR

STATE_DB_NAME = "state.db"
SCAFFOLD_DIRS = ("exports", "runtime-sessions", "sessions", "context", "handoffs")
GITIGNORE_TEXT = (
    "# Orchestra state: the database and exports stay local.\n"
    "state.db\nstate.db-wal\nstate.db-shm\nkeys/\nexports/\nruntime-sessions/\nactive-runtime.json\ncache/\n"
)


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
    def exports_dir(self) -> Path:
        return self.workflow_dir / "exports"

    def relative(self, path: Path) -> str:
        """Workspace-relative POSIX form of ``path`` (which must be inside the root)."""
        return path.relative_to(self.root).as_posix()

    def ensure_workflow_dir(self) -> None:
        """Create ``.agent-workflow/`` if needed (the store needs it)."""
        self.workflow_dir.mkdir(parents=True, exist_ok=True)

    def scaffold(self) -> list[str]:
        """Create the folders and the ``.gitignore``; return what was created (relative paths)."""
        from orchestra.workspace.atomic import atomic_write_text

        created: list[str] = []
        if not self.workflow_dir.is_dir():
            self.workflow_dir.mkdir(parents=True)
            created.append(WORKFLOW_DIR)
        for name in SCAFFOLD_DIRS:
            folder = self.workflow_dir / name
            if not folder.is_dir():
                folder.mkdir(parents=True)
                created.append(self.relative(folder))
        gitignore = self.workflow_dir / ".gitignore"
        if not gitignore.exists():
            atomic_write_text(gitignore, GITIGNORE_TEXT)
            created.append(self.relative(gitignore))
        return created
