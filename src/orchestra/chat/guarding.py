"""Running the security guard over every free-text field of a chat record.

Each field is guarded on its own (sink ``transcript`` on the way in, ``export`` on the way out);
the redacted text replaces the value and a sanitized :class:`RestrictedSummary` records what was
found. Nothing the guard does not let pass is stored: a blocked field refuses the whole record,
and a workspace policy of ``refuse`` turns any restricted finding into a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestra.chat.records import RestrictedSummary
from orchestra.security.errors import PolicyBlockedError
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import RESTRICTED_CATEGORIES, GuardContext, Sink
from orchestra.security.retained import RetainedRegion


@dataclass
class GuardedFields:
    """The guarded values (same keys as given; ``None`` stays ``None``) and what was found."""

    values: dict[str, str | None]
    summary: RestrictedSummary
    decision_ids: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when any value was redacted."""
        return self.summary.redaction_count > 0


def guard_fields(guard: SecurityGuard, fields: Mapping[str, str | None], sink: Sink, *,
                 refuse_restricted: bool = False, actor: str | None = None,
                 retained: dict[str, tuple[RetainedRegion, ...]] | None = None) -> GuardedFields:
    """Guard each non-empty value; raise :class:`PolicyBlockedError` (no content in it) when refused.

    With ``retained``, the redacted regions of each field (original values, in memory only) are put there
    for the restricted-fragment service."""
    values: dict[str, str | None] = {}
    summary = RestrictedSummary()
    decisions: dict[str, str] = {}
    context = GuardContext(actor=actor[:160] if actor else None, source_kind="chat")
    for name, value in fields.items():
        if not value:
            values[name] = value
            continue
        if retained is None:
            decision = guard.guard(value, sink, context)
        else:
            decision, regions = guard.guard_retaining(value, sink, context)
            if regions:
                retained[name] = regions
        decisions[name] = decision.decision_id
        data = [f for f in decision.findings if f.marker is not None]
        if decision.text is None:
            raise PolicyBlockedError(
                f"the {name} field was not allowed into the chat {sink.value} ({decision.outcome.value})",
                details={"field": name, "decision_id": decision.decision_id, "reasons": decision.reasons},
            )
        if refuse_restricted and any(f.category in RESTRICTED_CATEGORIES for f in data):
            raise PolicyBlockedError(
                f"the {name} field holds restricted data and the workspace chat policy refuses it",
                details={"field": name, "decision_id": decision.decision_id,
                         "categories": sorted({f.category.value for f in data})},
            )
        values[name] = decision.text
        if data:
            summary = summary.merged(RestrictedSummary(
                categories=sorted({f.category.value for f in data}),
                rule_ids=sorted({f.rule_id for f in data}),
                markers=sorted({f.marker for f in data if f.marker}),
                redaction_count=decision.redaction_count,
                fields=[name],
            ))
    return GuardedFields(values=values, summary=summary, decision_ids=decisions)
