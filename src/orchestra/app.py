"""The composition root: one workspace, its store and the services built over it.

The chat, ledger and provider services are built (and their modules imported) on first use, so a
server with those tool groups off never loads them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field

from orchestra import __version__
from orchestra.capacity import CapacityService
from orchestra.context.guarding import prompt_guard
from orchestra.context.service import ContextService
from orchestra.delegation.service import DelegationService
from orchestra.events import EventLog
from orchestra.runtime.status import RuntimeService
from orchestra.security.guard import SecurityGuard
from orchestra.store.sqlite import SQLiteStore
from orchestra.tasks import TaskService
from orchestra.workspace.config import OrchestraConfig, load_config
from orchestra.workspace.layout import WorkspaceLayout
from orchestra.workspace.secret_key import load_or_create_key

if TYPE_CHECKING:
    from orchestra.chat.calls import ChatCalls
    from orchestra.chat.respond import ChatResponder
    from orchestra.chat.service import ChatService
    from orchestra.ledger import BudgetService, LedgerService
    from orchestra.providers import ProviderService


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
            capacity=self.capacity,
        )

    @cached_property
    def ledger(self) -> LedgerService:
        """Model provenance records and usage reports."""
        from orchestra.ledger import LedgerService

        return LedgerService(self.store, self.events, self.guard)

    @cached_property
    def budgets(self) -> BudgetService:
        """Budget checks over the ledger."""
        from orchestra.ledger import BudgetService

        return BudgetService(self.store, self.ledger, self.events, self.config.budgets)

    @cached_property
    def providers(self) -> ProviderService:
        """Guarded model provider calls."""
        from orchestra.providers import ProviderService

        return ProviderService(self.config.providers, self.guard, self.ledger, self.budgets, self.events)

    @cached_property
    def chat(self) -> ChatService:
        """Chat threads and messages."""
        from orchestra.chat.policy import ChatPolicy
        from orchestra.chat.service import ChatService

        return ChatService(self.store, self.events, self.guard, ChatPolicy.from_config(self.config),
                           load_or_create_key(self.layout.secret_key_path), self.layout)

    @cached_property
    def responder(self) -> ChatResponder:
        """Threads answered by a model."""
        from orchestra.chat.respond import ChatResponder

        return ChatResponder(self.chat, self.providers, self.guard)

    @cached_property
    def chat_calls(self) -> ChatCalls:
        """Chat with defaults (a thread carries its scope), for MCP tools."""
        from orchestra.chat.calls import ChatCalls

        return ChatCalls(self.chat, self._task_role)

    def _task_role(self, task_id: str) -> str | None:
        from orchestra.errors import NotFoundError

        try:
            return self.tasks.get(task_id).owner_role
        except NotFoundError:
            return None

    @classmethod
    def open(cls, root: Path) -> Self:
        """Open (creating ``.agent-workflow/`` and the database if needed) the workspace at ``root``."""
        layout = WorkspaceLayout(root.resolve())
        config = load_config(layout.config_path)
        from orchestra.chat.policy import ChatPolicy

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
