"""Inputs and outputs of the delegation service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchestra.capacity.model import SCOPE_ID
from orchestra.delegation.lifecycle import SessionStatus, UpdateStatus
from orchestra.delegation.model import GuardrailReport, Session, SessionArtifacts, Transition
from orchestra.delegation.parent_action import NextCall, ParentAction
from orchestra.security.identifiers import SafeId
from orchestra.tasks.model import ROLE_PATTERN, TASK_ID_PATTERN

Name = Annotated[str, StringConstraints(pattern=ROLE_PATTERN), SafeId]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{8,128}$"), SafeId]
AgentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SafeId]
SESSION_ID_MAX = 300


class SpawnRequest(BaseModel):
    """A parent's request for a sub-agent."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN), SafeId]
    role: Name | None = None
    phase: Name | None = None
    run_id: Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN), SafeId] | None = None
    runtime: Annotated[str, StringConstraints(max_length=64), SafeId] | None = None
    brief: Annotated[str, StringConstraints(max_length=8000)] | None = None
    ownership_paths: list[Annotated[str, StringConstraints(max_length=1024), SafeId]] = Field(default_factory=list,
                                                                                       max_length=100)
    depth: int = Field(0, ge=0, le=16)
    idempotency_key: IdempotencyKey | None = None
    tenant_id: Annotated[str, StringConstraints(pattern=SCOPE_ID), SafeId] | None = None
    workspace_id: Annotated[str, StringConstraints(pattern=SCOPE_ID), SafeId] | None = None


class SessionUpdate(BaseModel):
    """A lifecycle report."""

    model_config = ConfigDict(extra="forbid")

    session_id: Annotated[str, StringConstraints(min_length=1, max_length=SESSION_ID_MAX), SafeId]
    status: UpdateStatus
    agent_id: AgentId | None = None
    artifact: Annotated[str, StringConstraints(max_length=1024), SafeId] | None = None
    result: dict[str, Any] | None = None
    summary: Annotated[str, StringConstraints(max_length=8000)] | None = None


class ContextSummary(BaseModel):
    """What the child's context bundle holds."""

    files: int
    omitted_sources: int
    final_lines: int
    redactions: int
    content_hash: str


class SpawnResult(BaseModel):
    """The decision and, when admitted or queued, the handle and what the parent must do next."""

    session_id: str = Field(description="Handle for session_update / session_get / session_wait.")
    status: SessionStatus = Field(description="requested (launch it now) or queued (wait for a slot).")
    replayed: bool = Field(description="True when an earlier call with the same idempotency key is returned.")
    task_id: str
    phase: str
    role: str
    runtime: str
    runtime_source: str = Field(description="What chose the runtime: explicit, task, role, default, client, ...")
    role_source: str = Field("request", description="What chose the role: request, task (owner role) or default "
                                                    "(config tasks.defaultRole).")
    guardrails: GuardrailReport
    parent_action: ParentAction
    next_calls: list[NextCall]
    artifacts: SessionArtifacts
    session_resource: str
    prompt_resource: str
    context: ContextSummary
    quality_warnings: list[str]
    capacity: dict[str, Any] | None = Field(
        None, description="The capacity decision taken with the session: decision_id, status, reason_code, "
                          "user_safe_reason and the lease_id (requested) or queue_id (queued).")
    message: str = Field(description="The next step in one sentence.")


class UpdateResult(BaseModel):
    """The session after a lifecycle report."""

    session: Session
    transition: Transition = Field(description="The recorded (or, when replayed, the earlier identical) step.")
    replayed: bool
    promoted: list[str] = Field(description="Queued sessions promoted because this one freed a slot.")
    expired: list[str] = Field(description="Sessions that timed out during this call's sweep.")
    redactions: int = Field(0, description="Secrets redacted from the summary, result or handoff.")


class SessionDetail(BaseModel):
    """A session with its timeline."""

    session: Session
    timeline: list[Transition]
    allowed_updates: list[str] = Field(description="Statuses session_update accepts next.")
    resource: str


class SessionCounts(BaseModel):
    """Counts across the listed scope."""

    total: int
    active: int = Field(description="requested, spawned or active.")
    suspended: int
    queued: int
    terminal: int
    stale: int = Field(description="Holding a slot and silent for more than half their allowed time.")


class SessionList(BaseModel):
    """Sessions, newest first."""

    sessions: list[Session]
    counts: SessionCounts
    max_concurrent_delegates: int
    expired: list[str] = Field(description="Sessions that timed out during this call's sweep.")


class WaitResult(BaseModel):
    """Where the awaited sessions stand."""

    done: bool = Field(description="True when the condition (any/all finished) holds.")
    mode: Literal["any", "all"]
    finished: list[str]
    pending: list[str]
    sessions: list[Session]
    waited_s: float
    timed_out: bool = Field(description="True when the wait ended at its timeout with the condition unmet.")
    changed: list[str] = Field(default_factory=list, description="Sessions whose status changed during the wait "
                                                                "(queued -> requested means: launch it now).")
