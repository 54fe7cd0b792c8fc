"""Messages, requests, replies and the completion a caller gets back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchestra.ledger.model import ID_PATTERN, NAME_PATTERN, BudgetWarning, Initiator
from orchestra.security.identifiers import SafeId
from orchestra.security.model import ProviderMessage
from orchestra.tasks.model import ROLE_PATTERN, TASK_ID_PATTERN

MAX_MESSAGES = 200
MAX_MESSAGE_CHARS = 200_000
MAX_TOTAL_CHARS = 1_000_000

MessageRole = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_call", "error"]
UsageSource = Literal["provider", "estimated", "unavailable"]
CostSource = Literal["provider", "estimated", "not_billed", "unavailable"]
_Id = Annotated[str, StringConstraints(pattern=ID_PATTERN), SafeId]
_Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN), SafeId]


class ChatMessage(BaseModel):
    """One message of the conversation to complete."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: MessageRole = Field(description="system, user, assistant or tool (sent to Ollama as user).")
    content: str = Field(max_length=MAX_MESSAGE_CHARS, description="Message text (up to 200,000 characters).")


class CallScope(BaseModel):
    """Who is calling and for what: the ledger's provenance fields for a server-made call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN), SafeId] = Field(description="Task served.")
    role: Annotated[str, StringConstraints(pattern=ROLE_PATTERN), SafeId] = Field(description="Calling role.")
    tenant_id: _Id | None = None
    workspace_id: _Id | None = None
    session_id: _Id | None = None
    run_id: _Id | None = None
    phase: _Name | None = None
    actor: _Name | None = None
    initiated_by: Initiator | None = None
    prompt_id: _Id | None = Field(None, description="Prompt id to record (generated when absent).")
    request_id: _Id | None = Field(None, description="Caller's correlation id.")


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What a provider adapter sends: messages already passed by the egress check."""

    model: str
    messages: tuple[ProviderMessage, ...]
    base_url: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None


@dataclass(frozen=True, slots=True)
class ProviderReply:
    """What a provider adapter got back (usage ``None`` when the provider did not report it)."""

    content: str
    finish_reason: FinishReason
    model: str
    response_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    attempts: int = 1


class Completion(BaseModel):
    """The answer of one guarded provider call, with its ledger record."""

    content: str = Field(description="The reply text (passed through the guard; secrets redacted).")
    provider: str
    model: str
    finish_reason: FinishReason
    response_id: str
    prompt_id: str
    input_tokens: int
    output_tokens: int
    total_tokens: int
    estimated_cost_usd: Decimal | None = Field(description="Exact cost in USD (0 for local and fake providers; "
                                                          "null when unknown).")
    usage_source: UsageSource = Field(description="provider when the response reported usage, else estimated.")
    cost_source: CostSource
    attempts: int = Field(description="HTTP attempts made (retries on timeouts and 5xx).")
    ledger_id: str = Field(description="The provenance record written for this call.")
    egress_decision_id: str = Field(description="The egress decision that allowed the call.")
    egress_reasons: list[str] = Field(description="Why egress passed, e.g. contact PII redacted before sending.")
    budget_warnings: list[BudgetWarning] = Field(description="Limits at 80 % or more after this call's estimate.")
    content_redactions: int = Field(description="Values redacted from the reply by the guard.")
