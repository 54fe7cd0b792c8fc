"""Redacted regions with their original values, handed in memory to the restricted-fragment service.

A :class:`RetainedRegion` is the only object that carries a matched value out of the guard. Its
``repr`` hides the value, it is not a pydantic model (nothing serialises it by accident), and
only :meth:`SecurityGuard.guard_retaining` produces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orchestra.security.model import Category
from orchestra.security.redaction import Occurrence


@dataclass(frozen=True, slots=True)
class RetainedRegion:
    """One redacted region of the guarded text: where, which rule, which marker, and its value."""

    index: int
    """Position among the redacted regions of the text (0 = the first marker in the stored text)."""
    start: int
    end: int
    rule_id: str
    category: Category
    marker: str
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return f"RetainedRegion(index={self.index}, rule_id={self.rule_id!r}, marker={self.marker!r}, value=<hidden>)"


def retained_regions(occurrences: Iterable[Occurrence]) -> tuple[RetainedRegion, ...]:
    """The first-pass data regions (offsets into the caller's text), in text order."""
    located = sorted((o for o in occurrences if o.first_pass and o.rule.marker is not None), key=lambda o: o.start)
    return tuple(
        RetainedRegion(index=i, start=o.start, end=o.end, rule_id=o.rule.rule_id, category=o.rule.category,
                       marker=o.rule.marker or "", value=o.value)
        for i, o in enumerate(located)
    )
