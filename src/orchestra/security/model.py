"""Vocabulary and records of the security guard: categories, sinks, outcomes, findings, decisions.

Everything here may leave the guard: no record carries a matched value, only rule ids,
categories, counts, offsets and keyed fingerprints.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Category(StrEnum):
    """What a finding is. The first six are data categories; the rest are execution risks."""

    PASSWORD = "password"
    SECRET = "secret"
    PRIVATE_KEY = "private_key"
    PAYMENT_DATA = "payment_data"
    SENSITIVE_PII = "sensitive_pii"
    CONTACT_PII = "contact_pii"
    PROMPT_INJECTION = "prompt_injection"
    SHELL_COMMAND = "shell_command"
    SQL_COMMAND = "sql_command"
    UNSAFE_URL = "unsafe_url"
    PATH_TRAVERSAL = "path_traversal"


RESTRICTED_CATEGORIES: frozenset[Category] = frozenset(
    {
        Category.PASSWORD,
        Category.SECRET,
        Category.PRIVATE_KEY,
        Category.PAYMENT_DATA,
        Category.SENSITIVE_PII,
    }
)
"""Data that must never reach a provider and is redacted everywhere it is stored."""

EXECUTION_RISK_CATEGORIES: frozenset[Category] = frozenset(
    {
        Category.PROMPT_INJECTION,
        Category.SHELL_COMMAND,
        Category.SQL_COMMAND,
        Category.UNSAFE_URL,
        Category.PATH_TRAVERSAL,
    }
)
"""Findings that only matter where text is executed or fetched (never redacted)."""


class Severity(StrEnum):
    """How bad a finding is, for ranking and display."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Sink(StrEnum):
    """Where text is about to go."""

    TRANSCRIPT = "transcript"
    EXPORT = "export"
    EVIDENCE = "evidence"
    LOG = "log"
    TELEMETRY = "telemetry"
    PROVIDER = "provider"
    PROVIDER_HISTORY = "provider_history"
    """A stored conversation sent to a model as data (chat_respond): wrapped as untrusted data."""
    PROMPT = "prompt"
    TOOL = "tool"
    URL = "url"
    PUBLIC_RESPONSE = "public_response"


class Outcome(StrEnum):
    """What the guard decided. Ordered from least to most restrictive by :data:`OUTCOME_RANK`."""

    ALLOW = "allow"
    REDACT = "redact"
    REQUIRES_APPROVAL = "requires_approval"
    QUARANTINE = "quarantine"
    BLOCK = "block"


OUTCOME_RANK: dict[Outcome, int] = {
    Outcome.ALLOW: 0,
    Outcome.REDACT: 1,
    Outcome.REQUIRES_APPROVAL: 2,
    Outcome.QUARANTINE: 3,
    Outcome.BLOCK: 4,
}

PASSABLE_OUTCOMES: frozenset[Outcome] = frozenset({Outcome.ALLOW, Outcome.REDACT})
"""Outcomes whose decision carries text that may pass."""


class Encoding(StrEnum):
    """How text is encoded for a sink after redaction (reference §5.10)."""

    NONE = "none"
    MARKDOWN = "markdown"
    LOG_LINE = "log_line"
    UNTRUSTED_DATA = "untrusted_data"
    URI = "uri"
    HTML_TEXT = "html_text"


class SanitizedFinding(BaseModel):
    """One rule's hits in one text, without the values."""

    model_config = ConfigDict(frozen=True)

    rule_id: str = Field(description="Stable rule id, e.g. 'secret.github.token'.")
    category: Category
    severity: Severity
    marker: str | None = Field(description="Redaction marker used for the hits; None for execution risks.")
    count: int = Field(ge=1, description="True number of occurrences.")
    spans: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets in the input text (first 100 hits)."
    )
    fingerprints: list[str] = Field(
        default_factory=list,
        description="Keyed HMAC-SHA256 digests (hex, 32 chars) of the values, for correlation.",
    )


class GuardContext(BaseModel):
    """Optional facts about the text being guarded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str | None = Field(None, max_length=180, description="Caller's id for correlation.")
    actor: str | None = Field(None, max_length=160, description="Who produced the text.")
    source_kind: str | None = Field(
        None, max_length=64, description="e.g. toolOutput, providerResponse, instruction, data."
    )
    encoding: Encoding | None = Field(None, description="Override the sink's default encoding.")


class GuardDecision(BaseModel):
    """The guard's answer: what to do and the text that may pass."""

    model_config = ConfigDict(frozen=True)

    decision_id: str = Field(description="Unique id of this decision.")
    request_id: str | None = None
    sink: Sink
    outcome: Outcome
    allowed: bool = Field(description="True when `text` may pass (outcome allow or redact).")
    reasons: list[str] = Field(description="Reason codes, e.g. 'secret_redacted', 'no_findings'.")
    findings: list[SanitizedFinding] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list, description="Categories found, sorted.")
    redaction_count: int = Field(0, description="How many values were replaced by markers.")
    text: str | None = Field(description="Redacted and sink-encoded text; None unless allowed.")


class ProviderMessage(BaseModel):
    """One chat message bound for a provider."""

    model_config = ConfigDict(frozen=True)

    role: str = Field(max_length=32)
    content: str


class EgressDecision(BaseModel):
    """Whether messages may be sent to a provider at a base URL."""

    model_config = ConfigDict(frozen=True)

    decision_id: str
    provider_id: str
    allowed: bool
    outcome: Outcome
    reasons: list[str] = Field(description="Reason codes; 'egress_allowed' when nothing objected.")
    findings: list[SanitizedFinding] = Field(default_factory=list)
    network_scope: str | None = Field(
        None, description="loopback | link_local | private | public; None without a base URL."
    )
    normalized_base_url: str | None = Field(
        None, description="The base URL rebuilt from its parsed parts (never contains userinfo)."
    )
    messages: list[ProviderMessage] | None = Field(
        None, description="The messages as they may be sent (contact PII redacted); None unless allowed."
    )


CATEGORY_MARKERS: dict[Category, str] = {
    Category.PASSWORD: "[REDACTED_PASSWORD]",
    Category.SECRET: "[REDACTED_SECRET]",
    Category.PRIVATE_KEY: "[REDACTED_PRIVATE_KEY]",
    Category.PAYMENT_DATA: "[REDACTED_PAYMENT_DATA]",
    Category.SENSITIVE_PII: "[REDACTED_SENSITIVE_PII]",
    Category.CONTACT_PII: "[REDACTED_PII]",
}
"""Markers compatible with the original (reference §5.3, §5.5)."""
