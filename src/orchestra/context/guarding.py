"""What the preprocessor needs from the security guard: make text safe for a prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Sink


@dataclass(frozen=True)
class PromptSafeText:
    """Text that may go into another agent's prompt, and what was done to it."""

    text: str | None
    outcome: str
    redactions: dict[str, int] = field(default_factory=dict)


class PromptGuard(Protocol):
    """Passes text through the security guard with sink ``prompt``."""

    def __call__(self, text: str) -> PromptSafeText:
        """Return the text that may pass (``None`` when it must be withheld)."""
        ...


def prompt_guard(guard: SecurityGuard) -> PromptGuard:
    """A :class:`PromptGuard` over the workspace's security guard (sink ``prompt``)."""

    def check(text: str) -> PromptSafeText:
        decision = guard.guard(text, Sink.PROMPT)
        redactions: dict[str, int] = {}
        if decision.outcome == "redact":
            for finding in decision.findings:
                if finding.marker is not None:
                    redactions[str(finding.category)] = redactions.get(str(finding.category), 0) + finding.count
        return PromptSafeText(decision.text, str(decision.outcome), redactions)

    return check
