"""docs/security.md embeds the generated rule table and outcome matrix verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from orchestra.security import render_outcome_matrix, render_rule_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert match, f"section {name} missing from docs/security.md"
    return match.group(1)


def test_rule_table_in_docs_is_current() -> None:
    assert _section("rule-table") == render_rule_table(), "regenerate the table with render_rule_table()"


def test_outcome_matrix_in_docs_is_current() -> None:
    assert _section("outcome-matrix") == render_outcome_matrix()


def test_rule_table_lists_every_rule() -> None:
    from orchestra.security import ALL_RULES

    table = render_rule_table()
    assert all(f"`{r.rule_id}`" in table for r in ALL_RULES)
