"""The parts chat records are made of: scope, actor, provenance, policies, references, restricted summary.

Shapes follow the original (reference §4.1) in snake_case. Identifiers are bounded and free of
control characters; free-text fields (display names, provider, model, labels...) pass the guard
before they are stored.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchestra.security.identifiers import SafeId

CHAT_SCHEMA_VERSION = 1
LOCAL_TENANT = "local"
LOCAL_WORKSPACE = "local"
ID_PATTERN = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,126}[^\s\x00-\x1f\x7f])?$"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=128), SafeId]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]

ActorKind = Literal["human", "parent_agent", "subagent", "provider_agent", "system", "reviewer", "workflow_event"]
SourceKind = Literal["user_input", "agent_output", "provider_output", "workflow_event", "review",
                     "storage_projection", "migration"]
UsageSource = Literal["provider", "runtime", "estimated", "unavailable"]
CostSource = Literal["provider", "pricing_estimate", "free", "unavailable"]
ContentState = Literal["raw", "redacted", "tombstoned"]
ContentFormat = Literal["plain_text", "markdown", "workflow_event"]
ReferenceKind = Literal["workflow_run", "task", "evidence", "review", "decision", "provider_request",
                        "restricted_fragment"]

SESSION_BOUND_KINDS: frozenset[str] = frozenset({"human", "parent_agent", "subagent"})
"""Actors that speak for a session and must match the scope's session (reference §4.5 step 3)."""

REQUIRED_ACTOR_FIELDS: dict[str, tuple[str, ...]] = {
    "human": ("display_name", "source", "session_id"),
    "parent_agent": ("runtime", "session_id"),
    "subagent": ("runtime", "role", "session_id", "parent_session_id"),
    "provider_agent": ("provider", "model", "request_id"),
    "system": ("source",),
    "reviewer": ("role", "review_id"),
    "workflow_event": ("source_event_id", "event_type"),
}
"""Fields each actor kind needs besides ``actor_id`` (reference §4.1)."""

DEFAULT_SOURCE_KIND: dict[str, SourceKind] = {
    "human": "user_input",
    "parent_agent": "agent_output",
    "subagent": "agent_output",
    "provider_agent": "provider_output",
    "system": "storage_projection",
    "reviewer": "review",
    "workflow_event": "workflow_event",
}


class ChatScope(BaseModel):
    """Where a thread lives. Tenant and workspace default to ``local``; the other four are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: Identifier = Field(LOCAL_TENANT, description="Tenant id ('local' on one machine).")
    workspace_id: Identifier = Field(LOCAL_WORKSPACE, description="Workspace id ('local' on one machine).")
    task_id: Identifier = Field(description="The task the conversation is about.")
    run_id: Identifier = Field(description="The workflow run within the task.")
    phase: Identifier = Field(description="Workflow phase, e.g. 'implementation'.")
    session_id: Identifier = Field(description="The parent session that owns the conversation.")

    def digest(self) -> str:
        """sha256 hex of the six fields joined by U+001F (the original's scope hash input)."""
        joined = "\x1f".join((self.tenant_id, self.workspace_id, self.task_id, self.run_id, self.phase,
                              self.session_id))
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()


class ChatActor(BaseModel):
    """Who wrote a record. ``kind`` decides which of the optional fields are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ActorKind = Field(description="human, parent_agent, subagent, provider_agent, system, reviewer or "
                                        "workflow_event.")
    actor_id: Identifier = Field(description="Stable id of the actor.")
    display_name: FreeText | None = Field(None, description="Human actors: the name to show.")
    source: Literal["web_console", "cli", "api", "mcp", "orchestra", "storage", "migration"] | None = Field(
        None, description="human: web_console|cli|api|mcp; system: orchestra|storage|migration.")
    session_id: Identifier | None = Field(None, description="human/parent_agent/subagent: must equal the "
                                                            "scope's session_id.")
    runtime: FreeText | None = Field(None, description="parent_agent/subagent: runtime id, e.g. 'claude-cli'.")
    role: FreeText | None = Field(None, description="subagent/reviewer: role, e.g. 'developer'.")
    parent_session_id: Identifier | None = Field(None, description="subagent: the parent's session id.")
    provider: FreeText | None = Field(None, description="provider_agent: provider id.")
    model: FreeText | None = Field(None, description="provider_agent: model id.")
    request_id: Identifier | None = Field(None, description="provider_agent: provider request id.")
    review_id: Identifier | None = Field(None, description="reviewer: review id.")
    source_event_id: Identifier | None = Field(None, description="workflow_event: audit event id.")
    event_type: Identifier | None = Field(None, description="workflow_event: audit event type.")


class ProvenanceInput(BaseModel):
    """Where a message came from, as the caller states it. Token and cost figures need their source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_kind: SourceKind | None = Field(None, description="Defaults by actor kind (human -> user_input...).")
    runtime: FreeText | None = Field(None, description="Runtime that produced the message.")
    provider: FreeText | None = Field(None, description="Model provider, e.g. 'ollama'.")
    model: FreeText | None = Field(None, description="Model id.")
    request_id: FreeText | None = Field(None, description="Provider request id.")
    response_id: FreeText | None = Field(None, description="Provider response id.")
    input_tokens: int | None = Field(None, ge=0, le=10**12, description="Input tokens; needs usage_source.")
    output_tokens: int | None = Field(None, ge=0, le=10**12, description="Output tokens; needs usage_source.")
    estimated_cost_usd: Decimal | None = Field(None, ge=0, le=10**9, description="Cost in USD; needs "
                                                                                "cost_source.")
    usage_source: UsageSource | None = Field(None, description="Where the token counts come from.")
    cost_source: CostSource | None = Field(None, description="Where the cost comes from.")
    parent_message_id: Identifier | None = Field(None, description="The message this one answers.")


class ChatProvenance(BaseModel):
    """Provenance as stored: the caller's statement plus source id, times and the guard decision."""

    source_kind: SourceKind
    source_id: str = Field(description="Request id (threads) or keyed body digest (messages).")
    created_at: str
    observed_at: str
    runtime: str | None = None
    provider: str | None = None
    model: str | None = None
    request_id: str | None = None
    response_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    estimated_cost_usd: str | None = Field(None, description="Decimal as a string.")
    usage_source: UsageSource
    cost_source: CostSource
    parent_message_id: str | None = None
    policy_decision_id: str | None = Field(None, description="The guard decision taken before persistence.")


class RetentionPolicy(BaseModel):
    """How long and in which form content is kept (reference §4.1)."""

    policy_id: str
    status: Literal["redacted_only", "raw_allowed", "expired", "denied"]
    raw_persistence: Literal["forbidden", "allowed"]
    decided_at: str
    expires_at: str | None = None


class ExportPolicy(BaseModel):
    """Whether and how content may be exported."""

    status: Literal["exportable", "redacted_only", "not_exportable"]
    raw_content_exportable: bool
    policy_id: str
    decided_at: str


class DeletePolicy(BaseModel):
    """Logical delete state (tombstones; nothing is physically removed by a chat delete)."""

    status: Literal["active", "tombstoned"]
    policy_id: str
    tombstoned_at: str | None = None
    tombstoned_by_actor_id: str | None = None
    reason_code: str | None = None


class RedactionRecord(BaseModel):
    """What the guard did before persistence."""

    policy_id: str
    status: Literal["applied"] = "applied"
    redacted_at: str
    redacted_by_actor_id: str
    marker_count: int = Field(ge=0, description="Values replaced by markers (a true count).")
    summary: str


class ChatReference(BaseModel):
    """A link from a message to another record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ReferenceKind = Field(description="Kind of record.")
    id: Identifier = Field(description="Id of the referenced record.")
    label: FreeText | None = Field(None, description="Short label to show.")


class RestrictedSummary(BaseModel):
    """Sanitized facts about restricted data found in a record: never the values."""

    categories: list[str] = Field(default_factory=list, description="Categories found, sorted.")
    rule_ids: list[str] = Field(default_factory=list, description="Rules that matched, sorted.")
    markers: list[str] = Field(default_factory=list, description="Markers that replaced values.")
    redaction_count: int = Field(0, description="Values replaced.")
    fields: list[str] = Field(default_factory=list, description="Fields that held restricted data.")

    @property
    def empty(self) -> bool:
        return not self.categories

    def merged(self, other: RestrictedSummary) -> RestrictedSummary:
        """The union of two summaries (counts add up)."""
        return RestrictedSummary(
            categories=sorted({*self.categories, *other.categories}),
            rule_ids=sorted({*self.rule_ids, *other.rule_ids}),
            markers=sorted({*self.markers, *other.markers}),
            redaction_count=self.redaction_count + other.redaction_count,
            fields=sorted({*self.fields, *other.fields}),
        )
