"""The rule inventory rendered from the rules themselves (docs/security.md embeds it)."""

from __future__ import annotations

from collections.abc import Sequence

from orchestra.security.risk_rules import RISK_RULES
from orchestra.security.rules import DATA_RULES, Rule

ALL_RULES: tuple[Rule, ...] = DATA_RULES + RISK_RULES


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_rule_table(rules: Sequence[Rule] = ALL_RULES) -> str:
    """A Markdown table: rule id, category, severity, marker, what is redacted, description."""
    lines = [
        "| rule id | category | severity | marker | redacts | detects |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules:
        if rule.marker is None:
            redacts = "nothing (reported)"
        elif rule.value_groups:
            redacts = "value only"
        else:
            redacts = "whole match"
        lines.append(
            f"| `{rule.rule_id}` | {rule.category.value} | {rule.severity.value} | "
            f"{'`' + rule.marker + '`' if rule.marker else '—'} | {redacts} | {_cell(rule.description)} |"
        )
    return "\n".join(lines)
