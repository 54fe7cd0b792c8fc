"""The outcome matrix: for each sink, what each finding category does. Data, not scattered ifs.

The decision for a text is the most restrictive outcome over its categories
(allow < redact < requires_approval < quarantine < block).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orchestra.security.model import OUTCOME_RANK, Category, Outcome, Sink

A, R, P, Q, B = (Outcome.ALLOW, Outcome.REDACT, Outcome.REQUIRES_APPROVAL, Outcome.QUARANTINE, Outcome.BLOCK)

_RESTRICTED = (
    Category.PASSWORD,
    Category.SECRET,
    Category.PRIVATE_KEY,
    Category.PAYMENT_DATA,
    Category.SENSITIVE_PII,
)
_COLUMNS: tuple[Category, ...] = (
    *_RESTRICTED,
    Category.CONTACT_PII,
    Category.PROMPT_INJECTION,
    Category.SHELL_COMMAND,
    Category.SQL_COMMAND,
    Category.UNSAFE_URL,
    Category.PATH_TRAVERSAL,
)

# columns:        password secret key card spii | contact | inject shell sql  url  path
_ROWS: dict[Sink, tuple[Outcome, ...]] = {
    Sink.TRANSCRIPT:      (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.EXPORT:          (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.EVIDENCE:        (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.LOG:             (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.TELEMETRY:       (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.PROMPT:          (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.PUBLIC_RESPONSE: (R, R, R, R, R,  R,  A, A, A, A, A),
    Sink.PROVIDER:        (B, B, B, B, B,  R,  Q, Q, Q, Q, Q),
    Sink.PROVIDER_HISTORY: (R, R, R, R, R, R,  Q, A, A, A, A),
    Sink.TOOL:            (P, P, P, P, P,  A,  Q, B, B, B, B),
    Sink.URL:             (B, B, B, B, B,  A,  Q, B, B, B, B),
}  # fmt: skip

OUTCOME_MATRIX: Mapping[Sink, Mapping[Category, Outcome]] = {
    sink: dict(zip(_COLUMNS, row, strict=True)) for sink, row in _ROWS.items()
}
"""``OUTCOME_MATRIX[sink][category]`` is what one finding of that category does in that sink."""

_PAST = {
    Outcome.ALLOW: "allowed",
    Outcome.REDACT: "redacted",
    Outcome.REQUIRES_APPROVAL: "requires_approval",
    Outcome.QUARANTINE: "quarantined",
    Outcome.BLOCK: "blocked",
}


def outcome_for(sink: Sink, category: Category) -> Outcome:
    """The matrix cell."""
    return OUTCOME_MATRIX[sink][category]


def decide(sink: Sink, categories: Iterable[Category]) -> tuple[Outcome, list[str]]:
    """The most restrictive outcome over ``categories`` and one reason code per category.

    Reason codes are ``<category>_<outcome in the past tense>``, e.g. ``secret_redacted``,
    ``prompt_injection_quarantined``; ``no_findings`` when there is nothing.
    """
    row = OUTCOME_MATRIX[sink]
    outcome = Outcome.ALLOW
    reasons: list[str] = []
    for category in sorted(set(categories)):
        cell = row[category]
        reasons.append(f"{category.value}_{_PAST[cell]}")
        if OUTCOME_RANK[cell] > OUTCOME_RANK[outcome]:
            outcome = cell
    return outcome, reasons or ["no_findings"]


def render_outcome_matrix() -> str:
    """The matrix as a Markdown table (for docs/security.md)."""
    head = "| sink | " + " | ".join(c.value for c in _COLUMNS) + " |"
    sep = "|---|" + "---|" * len(_COLUMNS)
    lines = [head, sep]
    for sink in Sink:
        cells = " | ".join(OUTCOME_MATRIX[sink][c].value for c in _COLUMNS)
        lines.append(f"| {sink.value} | {cells} |")
    return "\n".join(lines)
