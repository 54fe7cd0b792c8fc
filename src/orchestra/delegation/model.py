"""Delegation records and results."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from orchestra.delegation.lifecycle import SessionStatus


class SessionArtifacts(BaseModel):
    """Workspace-relative paths of the files a session owns."""

    prompt: str = Field(description="The child prompt (Markdown).")
    request: str = Field(description="The spawn request (Markdown).")
    request_json: str = Field(description="The spawn request (JSON).")
    context_manifest: str = Field(description="The context manifest and bundle (JSON).")
    expected_result: str = Field(description="Where the child must write its handoff.")
    result: str | None = Field(None, description="The handoff the session completed with, if any.")


class Session(BaseModel):
    """A delegated sub-agent session."""

    session_id: str = Field(description="The handle for every later call.")
    task_id: str
    run_id: str | None
    phase: str
    role: str
    runtime: str
    depth: int
    status: SessionStatus
    agent_id: str | None = Field(description="The child's id in its runtime, once reported.")
    brief: str | None = Field(description="The parent's brief (redacted).")
    created_at: str
    updated_at: str
    last_activity_at: str
    expires_at: str | None = Field(description="When the session times out without news (null when finished).")
    queue_position: int | None = Field(None, description="1-based position among queued requests.")
    artifacts: SessionArtifacts
    summary: str | None = Field(None, description="Last reported summary (redacted).")
    result: dict[str, Any] | None = Field(None, description="Structured result (redacted), when completed.")
    terminal: bool


class Transition(BaseModel):
    """One lifecycle step of a session."""

    n: int
    from_status: str | None
    to_status: str
    event_type: str
    audit_seq: int | None = Field(description="The audit event that recorded it.")
    agent_id: str | None
    artifact: str | None
    summary: str | None
    at: str


class GuardrailReport(BaseModel):
    """How the guardrails judged a spawn request."""

    decision: str = Field(description="allow, queue or reject.")
    reasons: list[str]
    active_sessions: int = Field(description="Sessions holding a slot in the whole workspace.")
    task_active_sessions: int
    max_concurrent_delegates: int
    max_spawns_per_task: int
    max_delegation_depth: int
    depth: int
    queued: int = Field(description="Requests waiting for a slot (before this one).")
