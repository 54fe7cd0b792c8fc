"""The composition root: one workspace, its store and the services built over it.

The chat, ledger, provider and media services are built (and their modules imported) on first use, so
a server with those tool groups off never loads them. Nothing is created on disk until the first write
(see :class:`orchestra.store.deferred.DeferredStore`).
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field

from orchestra import __version__
from orchestra.approvals import ApprovalService
from orchestra.capacity import CapacityService
from orchestra.context.guarding import prompt_guard
from orchestra.context.service import ContextService
from orchestra.delegation.artifacts import sweep_orphans
from orchestra.delegation.repair import repair_live
from orchestra.delegation.service import DelegationService
from orchestra.errors import ReadOnlyWorkspaceError
from orchestra.events import EventLog
from orchestra.events.chain import ChainKey
from orchestra.fragments import FragmentPolicy, FragmentService, LocalKeyProvider
from orchestra.runtime.status import RuntimeService
from orchestra.security.guard import SecurityGuard
from orchestra.store.base import Store
from orchestra.store.deferred import DeferredStore
from orchestra.store.dialect import SQLITE
from orchestra.store.factory import StoreTarget, open_store, store_exists, target_from
from orchestra.tasks import TaskService
from orchestra.workspace.config import OrchestraConfig, load_config
from orchestra.workspace.layout import WorkspaceLayout
from orchestra.workspace.leftovers import check_database_file, sweep_temp_files
from orchestra.workspace.secret_key import KEY_BYTES, load_key, load_or_create_key

if TYPE_CHECKING:
    from orchestra.chat.calls import ChatCalls
    from orchestra.chat.respond import ChatResponder
    from orchestra.chat.service import ChatService
    from orchestra.ledger import BudgetService, LedgerService
    from orchestra.media.service import TranscriptionService
    from orchestra.providers import ProviderService

LAZY_SERVICES = ("ledger", "budgets", "providers", "chat", "responder", "chat_calls", "media")


def open_state_store(layout: WorkspaceLayout, target: StoreTarget | None = None) -> Store:
    """The workspace's database (SQLite in the workspace, or the PostgreSQL schema ``target`` names):
    refused when emptied or damaged, read-only when the folder is, and swept of what a crash left (stale
    temp files, orphan spawn artifacts, live prompt and request files re-rendered)."""
    target = target or target_from(layout, os.environ)
    read_only = layout.is_read_only()
    if target.dialect == SQLITE:
        check_database_file(layout)
    store = open_store(layout, database_url=target.database_url, schema=target.schema, read_only=read_only)
    if read_only:
        return store
    try:
        sweep_temp_files(layout)
        sweep_orphans(layout.root, layout.workflow_dir / "runs", store)
        repair_live(layout.root, store)
    except BaseException:
        store.close()
        raise
    return store


def _any_budget(config: OrchestraConfig) -> bool:
    budgets = config.budgets
    limits = [budgets.defaults, *budgets.by_role.values(), *budgets.by_task.values()]
    return any(value is not None for item in limits
               for name, value in item.model_dump().items() if name.startswith("max_") and name not in
               ("max_retries", "max_runtime_ms"))


class WorkspaceStatus(BaseModel):
    """A summary of the workspace and its state store."""

    root: str = Field(description="Absolute path of the workspace root.")
    workflow_dir: str = Field(description="Workspace-relative path of Orchestra's folder.")
    database: str = Field(description="Workspace-relative path of the state database, or the PostgreSQL "
                                      "URL (without credentials) and schema.")
    schema_version: int = Field(description="Schema version of the state database.")
    orchestra_version: str
    tasks: int = Field(description="Number of tasks.")
    tasks_by_status: dict[str, int]
    events: int = Field(description="Number of audit events.")
    default_runtime: str = Field(description="runtimePolicy.defaults.executor from config.json.")


class Orchestra:
    """Services for one workspace. Open with :meth:`open` or :meth:`attach`, close with :meth:`close`."""

    def __init__(self, layout: WorkspaceLayout, config: OrchestraConfig, store: DeferredStore, key: bytes, *,
                 target: StoreTarget | None = None) -> None:
        self.layout = layout
        self.target = target or StoreTarget(SQLITE)
        self.config = config
        self.store = store
        self._build(key)

    def _build(self, key: bytes) -> None:
        """The services over the store, keyed with the workspace key (lazy ones are rebuilt on next use)."""
        for name in LAZY_SERVICES:
            self.__dict__.pop(name, None)
        store, layout, config = self.store, self.layout, self.config
        self._key = key
        guard = self.guard = SecurityGuard(key)
        self.events = EventLog(store, ChainKey(key))
        self.approvals = ApprovalService(store, self.events, guard, key, config.approvals)
        self.fragments = FragmentService(store, self.events, LocalKeyProvider(layout.fragment_keys_dir),
                                         FragmentPolicy.from_config(config), key)
        self.tasks = TaskService(store, self.events, layout.root, guard)
        self.context = ContextService(layout.root, self.tasks, prompt_guard(guard), layout.workflow_dir,
                                      key)
        self.runtime = RuntimeService(layout.root, config, session_counts=self._session_counts)
        self.capacity = CapacityService(store, self.events, config.capacity)
        self.delegation = DelegationService(
            layout=layout, store=store, events=self.events, tasks=self.tasks, context=self.context,
            runtime=self.runtime, guard=guard, policy=config.runtime_policy.delegation.guardrails,
            capacity=self.capacity, fragments=self.fragments, task_policy=config.tasks,
            budget_overrun=self._budget_overrun,
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

        return ChatService(self.store, self.events, self.guard, ChatPolicy.from_config(self.config), self._key,
                           self.layout, self.fragments)

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

    @cached_property
    def media(self) -> TranscriptionService:
        """Transcription requests: source policy, media preflight, the local engine."""
        from orchestra.media.service import TranscriptionService

        return TranscriptionService(layout=self.layout, store=self.store, events=self.events, tasks=self.tasks,
                                    guard=self.guard, settings=self.config.transcription)

    def _budget_overrun(self, task_id: str, role: str) -> list[str]:
        """The budgets the task's (and role's) recorded usage is already past (for a spawn's approval)."""
        if not _any_budget(self.config):
            return []  # nothing configured: the ledger is not even loaded
        result = self.budgets.check(task_id, role=role)
        return [f"{v.scope} {v.metric} {v.actual} > {v.limit}" for v in result.violations]

    def _task_role(self, task_id: str) -> str | None:
        from orchestra.errors import NotFoundError

        try:
            return self.tasks.get(task_id).owner_role
        except NotFoundError:
            return None

    @classmethod
    def attach(cls, root: Path, *, target: StoreTarget | None = None) -> Self:
        """The workspace at ``root``, creating nothing: reads of a folder without Orchestra state fail
        with ``not_initialized``; the first write creates ``.agent-workflow/``, its ``.gitignore``, the
        key and the database. ``target`` names the store explicitly (hosted scopes); by default the
        environment chooses (``ORCHESTRA_DATABASE_URL``, see :mod:`orchestra.store.factory`)."""
        from orchestra.chat.policy import ChatPolicy

        layout = WorkspaceLayout(root.resolve())
        target = target or target_from(layout, os.environ)
        config = load_config(layout.config_path)
        ChatPolicy.from_config(config)  # a bad chat or fragment section fails before anything is opened
        FragmentPolicy.from_config(config)
        existing = load_key(layout.secret_key_path)
        if existing is None and store_exists(layout, target) and not layout.is_read_only():
            existing = load_or_create_key(layout.secret_key_path)  # state without a key: it gets one now
        key = existing if existing is not None else secrets.token_bytes(KEY_BYTES)
        attached: list[Orchestra] = []

        def initialize() -> None:
            if layout.is_read_only():
                raise ReadOnlyWorkspaceError("the workspace is read-only; Orchestra cannot create its state here")
            layout.ensure_workflow_dir()
            stored = load_or_create_key(layout.secret_key_path, new_key=key)
            if stored != key and attached:  # another process created the workspace first: use its key
                attached[0]._build(stored)

        store = DeferredStore(exists=lambda: store_exists(layout, target), initialize=initialize,
                              open_store=lambda: open_state_store(layout, target), dialect=target.dialect)

        app = cls(layout, config, store, key, target=target)
        attached.append(app)
        if store.initialized:  # an existing database is opened (and checked, swept) now, not on first use
            try:
                store.open()
                app._seal()
            except BaseException:
                app.close()
                raise
        return app

    @classmethod
    def open(cls, root: Path, *, target: StoreTarget | None = None) -> Self:
        """The workspace at ``root``, creating ``.agent-workflow/`` and the database if needed."""
        app = cls.attach(root, target=target)
        try:
            app.store.open()  # creates the state when there is none
            app._seal()
        except BaseException:
            app.close()
            raise
        return app

    @property
    def initialized(self) -> bool:
        """Whether the workspace holds Orchestra state."""
        return self.store.initialized

    def _seal(self) -> None:
        """Seal the audit chain's legacy/keyed boundary once (never on a read-only database)."""
        if not self.store.read_only:
            self.events.seal()

    def status(self) -> WorkspaceStatus:
        """Root, schema version and counts."""
        by_status = self.tasks.count()
        return WorkspaceStatus(
            root=str(self.layout.root),
            workflow_dir=self.layout.relative(self.layout.workflow_dir),
            database=self.database_location(),
            schema_version=self.store.schema_version,
            orchestra_version=__version__,
            tasks=sum(by_status.values()),
            tasks_by_status=by_status,
            events=self.events.count(),
            default_runtime=self.config.runtime_policy.defaults.executor,
        )

    def database_location(self) -> str:
        """The SQLite file (workspace-relative) or ``postgresql://host:port/db#schema`` (no credentials)."""
        target = self.target
        if target.dialect == SQLITE or not target.database_url:
            return self.layout.relative(self.layout.db_path)
        from orchestra.store.postgres import redacted_url

        return f"{redacted_url(target.database_url)}#{target.schema}"

    def _session_counts(self) -> dict[str, int]:
        return self.delegation.counts() if self.initialized else {}

    def close(self) -> None:
        """Release the store, the context cache and the media probe worker (if one was started)."""
        self.context.close()
        media = self.__dict__.get("media")
        if media is not None:
            media.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
