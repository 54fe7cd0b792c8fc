"""Audit event records (the seed's event shape plus chain fields)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^[A-Z][A-Z0-9_]{0,79}$"


class NewEvent(BaseModel):
    """What a service asks the log to record."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(pattern=EVENT_TYPE_PATTERN, description="Event type, e.g. TASK_CREATED.")
    actor: str = Field(min_length=1, max_length=128, description="Who caused the event.")
    summary: str = Field(max_length=2000, description="One line for humans; never content or secrets.")
    task_id: str | None = Field(None, max_length=64, description="The task the event belongs to, if any.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Structured details (no content).")
    artifacts: list[str] = Field(default_factory=list, description="Workspace-relative artifact paths.")


class AuditEvent(BaseModel):
    """A recorded event: ``{id, type, actor, taskId, summary, metadata, artifacts, timestamp}`` plus chain."""

    seq: int = Field(description="Position in the chain, starting at 1.")
    id: str = Field(description="Event id: '<ISO timestamp>-<16 hex>'.")
    type: str
    actor: str
    task_id: str | None
    summary: str
    metadata: dict[str, Any]
    artifacts: list[str]
    timestamp: str = Field(description="ISO-8601 UTC with milliseconds.")
    prev_hash: str = Field(description="Hash of the previous event (64 zeros for the first).")
    hash: str = Field(description="HMAC-SHA256 (workspace key) over the canonical JSON of this event and prev_hash "
                                  "(plain sha256 for events recorded before the chain was keyed).")


class AuditAnchor(BaseModel):
    """An exported audit head (``orchestra audit head``), kept outside the workspace and checked later."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0, description="The sequence number of the last event (0 for an empty chain).")
    mac: str = Field(pattern=r"^[0-9a-f]{64}$", description="That event's link (64 zeros for an empty chain).")


class ChainReport(BaseModel):
    """The result of walking the audit chain."""

    ok: bool = Field(description="True when the database, every link, the seal, the head and the anchor verify.")
    events_checked: int
    head_seq: int = Field(description="The last sequence number the head records (0 when empty).")
    broken_at_seq: int | None = Field(None, description="The first event whose link fails, if any.")
    problem: str | None = Field(None, description="The first thing found wrong.")
    problems: list[str] = Field(default_factory=list, description="Everything found wrong.")
    keyed_from_seq: int | None = Field(None, description="First event with a keyed (HMAC) link; earlier ones are "
                                                         "legacy sha256 links, vouched for by the seal.")
    anchor_seq: int | None = Field(None, description="The anchor the chain was checked against, if any.")
    warnings: list[str] = Field(default_factory=list)
