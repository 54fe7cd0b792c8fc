"""The composition root: one workspace, its store and the services built over it."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field

from orchestra import __version__
from orchestra.capacity import CapacityService
from orchestra.chat import ChatPolicy, ChatService
from orchestra.chat.respond import ChatResponder
from orchestra.context.guarding import prompt_guard
from orchestra.context.service import ContextService
from orchestra.delegation.service import DelegationService
from orchestra.events import EventLog
from orchestra.ledger import BudgetService, LedgerService
from orchestra.providers import ProviderService
from orchestra.runtime.status import RuntimeService
from orchestra.security.guard import SecurityGuard
from orchestra.store.sqlite import SQLiteStore
from orchestra.tasks import TaskService
from orchestra.workspace.config import OrchestraConfig, load_config
from orchestra.workspace.layout import WorkspaceLayout
from orchestra.workspace.secret_key import load_or_create_key


class WorkspaceStatus(BaseModel):
    """A summary of the workspace and its state store."""

    root: str = Field(description="Absolute path of the workspace root.")
    workflow_dir: str = Field(description="Workspace-relative path of Orchestra's folder.")
    database: str = Field(description="Workspace-relative path of the state database.")
    schema_version: int = Field(description="Schema version of the state database.")
    orchestra_version: str
    tasks: int = Field(description="Number of tasks.")
    tasks_by_status: dict[str, int]
    events: int = Field(description="Number of audit events.")
    default_runtime: str = Field(description="runtimePolicy.defaults.executor from config.json.")


class Orchestra:
    """Services for one workspace. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(
        self, layout: WorkspaceLayout, config: OrchestraConfig, store: SQLiteStore, guard: SecurityGuard
    ) -> None:
        self.layout = layout
        self.config = config
        self.store = store
        self.guard = guard
        self.events = EventLog(store)
        self.tasks = TaskService(store, self.events, layout.root, guard)
        self.context = ContextService(layout.root, self.tasks, prompt_guard(guard))
        self.runtime = RuntimeService(layout.root, config, session_counts=self._session_counts)
        self.capacity = CapacityService(store, self.events, config.capacity)
        self.delegation = DelegationService(
            layout=layout, store=store, events=self.events, tasks=self.tasks, context=self.context,
            runtime=self.runtime, guard=guard, policy=config.runtime_policy.delegation.guardrails,
            capacity=self.capacity, task_policy=config.tasks,
        )
        self.ledger = LedgerService(store, self.events, guard)
        self.budgets = BudgetService(store, self.ledger, self.events, config.budgets)
        self.providers = ProviderService(config.providers, guard, self.ledger, self.budgets, self.events)
        self.chat = ChatService(store, self.events, guard, ChatPolicy.from_config(config),
                                load_or_create_key(layout.secret_key_path), layout)
        self.responder = ChatResponder(self.chat, self.providers)

    @classmethod
    def open(cls, root: Path) -> Self:
        """Open (creating ``.agent-workflow/`` and the database if needed) the workspace at ``root``."""
        layout = WorkspaceLayout(root.resolve())
        config = load_config(layout.config_path)
        ChatPolicy.from_config(config)  # a bad chat section fails before anything is opened
        layout.ensure_workflow_dir()
        guard = SecurityGuard(load_or_create_key(layout.secret_key_path))
        return cls(layout, config, SQLiteStore(layout.db_path), guard)

    def status(self) -> WorkspaceStatus:
        """Root, schema version and counts."""
        by_status = self.tasks.count()
        return WorkspaceStatus(
            root=str(self.layout.root),
            workflow_dir=self.layout.relative(self.layout.workflow_dir),
            database=self.layout.relative(self.layout.db_path),
            schema_version=self.store.schema_version,
            orchestra_version=__version__,
            tasks=sum(by_status.values()),
            tasks_by_status=by_status,
            events=self.events.count(),
            default_runtime=self.config.runtime_policy.defaults.executor,
        )

    def _session_counts(self) -> dict[str, int]:
        return self.delegation.counts()

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
