"""Ledger records, usage reports and budget results (bounded input, exact money)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from orchestra.ledger.money import parse_count, parse_usd
from orchestra.security.identifiers import SafeId
from orchestra.tasks.model import ROLE_PATTERN, TASK_ID_PATTERN

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,179}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$"
CODE_PATTERN = r"^[a-z][a-z0-9_-]{0,47}$"

Initiator = Literal["human", "parent_agent", "subagent", "system"]
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN), SafeId]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN), SafeId]
CodeWord = Annotated[str, StringConstraints(pattern=CODE_PATTERN), SafeId]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _tokens(value: object) -> int:
    return parse_count(value, "token count")


def _usd(value: object) -> Decimal:
    return parse_usd(value)


Tokens = Annotated[int, BeforeValidator(_tokens)]
Usd = Annotated[Decimal, BeforeValidator(_usd)]


class ProvenanceInput(BaseModel):
    """One model call to record (reference §8.1 fields, snake_case). Every field is bounded."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN), SafeId] = Field(
        description="The task the call served (must exist).")
    role: Annotated[str, StringConstraints(pattern=ROLE_PATTERN), SafeId] = Field(
        description="Role that made the call, lowercase, e.g. 'developer'.")
    provider: Name = Field(description="Provider id, e.g. 'ollama', 'anthropic'.")
    model: Name = Field(description="Model id as the provider names it.")
    prompt_id: RecordId | None = Field(None, description="Id of the prompt sent (made by the server when absent).")
    response_id: RecordId | None = Field(None, description="Id of the response (made by the server when absent).")
    finish_reason: CodeWord = Field("stop", description="Why generation stopped: stop, length, tool_call, error.")
    input_tokens: Tokens = Field(0, description="Prompt tokens (whole number >= 0).")
    output_tokens: Tokens = Field(0, description="Completion tokens (whole number >= 0).")
    estimated_cost_usd: Usd | None = Field(
        None, description="Estimated cost in USD, decimal string or number >= 0 (exact, 9 places); absent: unknown.")
    request_id: RecordId | None = Field(None, description="Provider request id, if any.")
    tenant_id: RecordId | None = Field(None, description="Tenant scope (reports use 'local' when absent).")
    workspace_id: RecordId | None = Field(None, description="Workspace scope (reports use 'local' when absent).")
    session_id: RecordId | None = Field(None, description="Delegated session id, if any.")
    run_id: RecordId | None = Field(None, description="Workflow run id, if any.")
    phase: Name | None = Field(None, description="Workflow phase (reports use 'unknown' when absent).")
    actor: Name | None = Field(None, description="Who acted (reports use the role when absent).")
    initiated_by: Initiator | None = Field(None, description="Who initiated the call ('unknown' when absent).")
    usage_source: CodeWord | None = Field(None, description="Where token counts came from: provider, estimated, "
                                                            "unavailable.")
    cost_source: CodeWord | None = Field(None, description="Where the cost came from: provider, estimated, "
                                                           "not_billed, unavailable.")
    usage_unavailable_rationale: Rationale | None = Field(None, description="Why usage is unavailable.")
    cost_unavailable_rationale: Rationale | None = Field(None, description="Why cost is unavailable.")
    fallback_used: bool = Field(False, description="True when a fallback provider answered.")
    failed_providers: list[Name] = Field(default_factory=list, max_length=16,
                                         description="Providers that failed before the final one.")
    final_provider: Name | None = Field(None, description="Provider that produced the response.")
    final_model: Name | None = Field(None, description="Model that produced the response.")
    idempotency_key: RecordId | None = Field(None, description="A retry with the same key and body returns the "
                                                               "same record; another body: idempotency_conflict.")


class ProvenanceRecord(BaseModel):
    """A stored record: the input as stored (guarded text, so no input patterns) plus id, position and time."""

    id: str = Field(description="Ledger record id 'prov-<16 hex>'.")
    seq: int = Field(description="Position in the ledger, starting at 1.")
    recorded_at: str = Field(description="ISO-8601 UTC with milliseconds.")
    task_id: str
    role: str
    provider: str
    model: str
    prompt_id: str
    response_id: str
    finish_reason: str
    input_tokens: int
    output_tokens: int
    estimated_cost_usd: Decimal | None = Field(description="Exact USD; null when the cost is unknown.")
    request_id: str | None = None
    tenant_id: str | None = None
    workspace_id: str | None = None
    session_id: str | None = None
    run_id: str | None = None
    phase: str | None = None
    actor: str | None = None
    initiated_by: str | None = None
    usage_source: str | None = None
    cost_source: str | None = None
    usage_unavailable_rationale: str | None = None
    cost_unavailable_rationale: str | None = None
    fallback_used: bool = False
    failed_providers: list[str] = Field(default_factory=list)
    final_provider: str | None = None
    final_model: str | None = None
    idempotent_replay: bool = Field(False, description="True: the same key and body were recorded before.")


class UsageBreakdown(BaseModel):
    """Usage for one group (reference §8.2 breakdown)."""

    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    total_tokens: int = Field(description="input_tokens + output_tokens.")
    estimated_cost_usd: Decimal = Field(description="Exact sum in USD (decimal string).")


class UsageReport(BaseModel):
    """Totals and breakdowns; groups appear in first-seen order."""

    task_id: str | None
    totals: UsageBreakdown = Field(description="Everything in scope (key 'total').")
    by_role: list[UsageBreakdown]
    by_provider: list[UsageBreakdown]
    by_tenant: list[UsageBreakdown] = Field(description="Key: tenant_id, else 'local'.")
    by_workspace: list[UsageBreakdown] = Field(description="Key: workspace_id, else 'local'.")
    by_actor: list[UsageBreakdown] = Field(description="Key: actor, else the role.")
    by_initiator: list[UsageBreakdown] = Field(description="Key: initiated_by, else 'unknown'.")
    by_phase: list[UsageBreakdown] = Field(description="Key: phase, else 'unknown'.")


Metric = Literal["requests", "inputTokens", "outputTokens", "totalTokens", "estimatedCostUsd"]


class BudgetViolation(BaseModel):
    """A limit exceeded: ``actual > limit`` (equal passes)."""

    scope: str = Field(description="'defaults', 'task:<id>' or 'role:<role>'.")
    metric: Metric
    actual: Decimal
    limit: Decimal


class BudgetWarning(BaseModel):
    """A cost limit at or above the warning threshold once the estimate is added."""

    scope: str
    metric: Metric
    actual: Decimal
    limit: Decimal
    threshold_percent: int = 80


class BudgetCheckResult(BaseModel):
    """The budget gate's answer (reference §8.3)."""

    task_id: str | None
    passed: bool = Field(description="False when any violation exists.")
    usage: UsageReport = Field(description="Recorded usage (without the estimate).")
    estimate_cost_usd: Decimal | None = Field(description="The estimate that was added, if any.")
    applied_budgets: list[str] = Field(description="Scopes whose limits were checked, in order.")
    violations: list[BudgetViolation]
    warnings: list[BudgetWarning]
