"""Chat as a model calls it: a thread carries its scope, and everything else has a default.

- ``create``: a title and a task are enough. The run defaults to ``manual``, the phase to the task's
  owner role (or the configured default role), the session to the calling session, the actor to the
  calling client as a ``parent_agent`` (its runtime from ``clientInfo``).
- ``append`` / ``messages`` / ``respond`` take a thread id only: the scope is the thread's.
- An append without an idempotency key gets one made by the server (a retry then appends again).
- ``export`` / ``delete`` default the acting id to the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestra.approvals.gate import CallerApprovals
from orchestra.chat.compliance import Progress
from orchestra.chat.model import (
    AppendResult,
    ChatThread,
    DeleteResult,
    ExportKind,
    ExportResult,
    MessagePage,
    ThreadPage,
)
from orchestra.chat.records import (
    LOCAL_TENANT,
    LOCAL_WORKSPACE,
    ChatActor,
    ChatReference,
    ContentFormat,
    CostSource,
    UsageSource,
)
from orchestra.chat.service import ChatService
from orchestra.security.opaque_ids import opaque_id

DEFAULT_RUN = "manual"
DEFAULT_ROLE = "developer"
GENERIC_RUNTIME = "generic-runtime"


class ActorInput(BaseModel):
    """An actor a caller may name (provider and workflow actors are written by the server itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["human", "parent_agent", "subagent", "system", "reviewer"]
    actor_id: str = Field(max_length=128)
    display_name: str | None = Field(None, max_length=256)
    source: Literal["web_console", "cli", "api", "mcp", "orchestra", "storage", "migration"] | None = None
    session_id: str | None = Field(None, max_length=128)
    runtime: str | None = Field(None, max_length=256)
    role: str | None = Field(None, max_length=256)
    parent_session_id: str | None = Field(None, max_length=128)
    review_id: str | None = Field(None, max_length=128)


class StatedProvenance(BaseModel):
    """Where a message came from, as its writer states it (figures need their source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str | None = Field(None, max_length=256)
    model: str | None = Field(None, max_length=256)
    request_id: str | None = Field(None, max_length=256)
    response_id: str | None = Field(None, max_length=256)
    input_tokens: int | None = Field(None, ge=0, le=10**12)
    output_tokens: int | None = Field(None, ge=0, le=10**12)
    estimated_cost_usd: Decimal | None = Field(None, ge=0, le=10**9)
    usage_source: UsageSource | None = None
    cost_source: CostSource | None = None
    parent_message_id: str | None = Field(None, max_length=128)


def as_actor(actor: ActorInput | ChatActor | dict[str, Any] | None) -> ChatActor | dict[str, Any] | None:
    """An actor input as the service takes it."""
    return actor.model_dump(exclude_none=True) if isinstance(actor, ActorInput) else actor


@dataclass(frozen=True)
class Caller:
    """The client on the other end of a call: its runtime id and the session it speaks for."""

    runtime: str = GENERIC_RUNTIME
    session_id: str = "mcp-session"

    def actor(self, session_id: str | None = None) -> dict[str, Any]:
        """The caller as a ``parent_agent`` actor speaking for ``session_id`` (default: its own)."""
        session = session_id or self.session_id
        return {"kind": "parent_agent", "actor_id": f"{self.runtime}:{session}"[:128], "runtime": self.runtime,
                "session_id": session}

    @property
    def actor_id(self) -> str:
        return f"{self.runtime}:{self.session_id}"[:128]


class ChatCalls:
    """The defaulting layer over :class:`ChatService` that MCP tools call."""

    def __init__(self, chat: ChatService, task_role: Callable[[str], str | None],
                 default_role: str = DEFAULT_ROLE) -> None:
        self._chat = chat
        self._task_role = task_role
        self._default_role = default_role

    def create(self, title: str, task_id: str, caller: Caller, *, run_id: str | None = None,
               phase: str | None = None, session_id: str | None = None,
               actor: ActorInput | ChatActor | dict[str, Any] | None = None) -> ChatThread:
        """A thread for ``task_id`` with every other part of the scope defaulted."""
        scope = {"tenant_id": LOCAL_TENANT, "workspace_id": LOCAL_WORKSPACE, "task_id": task_id,
                 "run_id": run_id or DEFAULT_RUN, "phase": phase or self._task_role(task_id) or self._default_role,
                 "session_id": session_id or caller.session_id}
        return self._chat.create_thread(scope, title, as_actor(actor) or caller.actor(scope["session_id"]))

    def threads(self, task_id: str, *, run_id: str | None = None, limit: int = 50,
                cursor: str | None = None) -> ThreadPage:
        """The threads of a task (optionally one run), oldest first."""
        return self._chat.list_task_threads(task_id, run_id=run_id, limit=limit, cursor=cursor)

    def append(self, thread_id: str, text: str, caller: Caller, *,
               actor: ActorInput | ChatActor | dict[str, Any] | None = None, idempotency_key: str | None = None,
               content_format: ContentFormat = "markdown",
               provenance: StatedProvenance | dict[str, Any] | None = None,
               references: list[ChatReference] | list[dict[str, Any]] | None = None) -> AppendResult:
        """Append to a thread in its own scope; the actor defaults to the caller for the thread's session."""
        scope = self._chat.get_thread(thread_id).scope
        key = idempotency_key if idempotency_key is not None else opaque_id("auto-", 16)
        stated = provenance.model_dump(exclude_none=True) if isinstance(provenance, StatedProvenance) else provenance
        return self._chat.append_message(scope, thread_id, text, as_actor(actor) or caller.actor(scope.session_id),
                                         key, content_format=content_format, provenance=stated,
                                         references=references)

    def messages(self, thread_id: str, *, limit: int = 50, cursor: str | None = None,
                 include_timeline: bool = False) -> MessagePage:
        """A page of the thread's messages."""
        scope = self._chat.get_thread(thread_id).scope
        return self._chat.list_messages(scope, thread_id, limit=limit, cursor=cursor,
                                        include_timeline=include_timeline)

    def export(self, kind: ExportKind, caller: Caller, *, actor_id: str | None = None,
               actor_role: str | None = None, progress: Progress | None = None, **selection: Any) -> ExportResult:
        """A compliance export acted by the caller unless another actor is named."""
        return self._chat.export(kind, actor_id=actor_id or caller.actor_id, actor_role=actor_role or "parent_agent",
                                 progress=progress, **selection)

    def delete(self, kind: ExportKind, caller: Caller, *, reason_code: str, actor_id: str | None = None,
               actor_role: str | None = None, approval: CallerApprovals | None = None,
               **selection: Any) -> DeleteResult:
        """A compliance delete acted by the caller unless another actor is named (with ``approval``, after a
        person approved it when the configuration says so)."""
        return self._chat.delete(kind, actor_id=actor_id or caller.actor_id, actor_role=actor_role or "parent_agent",
                                 reason_code=reason_code, approval=approval, **selection)
