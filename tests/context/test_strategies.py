"""Golden tests for each reduction strategy."""

from __future__ import annotations

from orchestra.context.code.extract import extract
from orchestra.context.code.languages import language_for
from orchestra.context.code.parsing import ParseFailure
from orchestra.context.strategies.head_tail import head_tail
from orchestra.context.strategies.markdown_sections import build_terms, markdown_sections

PY_SOURCE = '''"""Inventory service.

Longer description that is not kept.
"""
from __future__ import annotations
import os
from dataclasses import dataclass, field

__all__ = ["Item", "load"]
LIMIT = 10


@dataclass(frozen=True)
class Item:
    """One stock item."""

    sku: str
    count: int = 0
    tags: list[str] = field(default_factory=list)

    def total(self, price: float) -> float:
        """Value of the stock."""
        value = self.count * price
        return value

    def _hidden(self) -> None:
        pass


async def load(path: str, *, strict: bool = True) -> list[Item]:
    """Load items from disk."""
    with open(path) as handle:
        return []


def _private_helper() -> None:
    return None
'''


def _schema(path: str, source: str) -> list[str]:
    spec = language_for(path)
    assert spec is not None
    return extract(spec, source.encode()).lines


def test_python_schema_golden() -> None:
    assert _schema("inventory.py", PY_SOURCE) == [
        '1: """Inventory service."""',
        "5: from __future__ import annotations; import os; from dataclasses import dataclass, field",
        '9: __all__ = ["Item", "load"]',
        "10: LIMIT = 10",
        "13: @dataclass(frozen=True) class Item  # One stock item.",
        "17:   sku: str",
        "18:   count: int = 0",
        "19:   tags: list[str] = field(default_factory=list)",
        "21:   def total(self, price: float) -> float  # Value of the stock.",
        "30: async def load(path: str, *, strict: bool = True) -> list[Item]  # Load items from disk.",
    ]


def test_bad_syntax_is_a_parse_failure_with_its_line() -> None:
    spec = language_for("x.py")
    assert spec is not None
    try:
        extract(spec, b"def ok() -> None:\n    pass\n\ndef broken(:\n    pass\n")
    except ParseFailure as failure:
        assert "syntax error near line 4" in str(failure)
    else:
        raise AssertionError("a syntax error must not yield a schema")


TS_SOURCE = """import { z } from "zod";
const internal = 1;

export interface User {
  id: string;
  name: string; // display name with a { brace
}

export function greet(user: User): string {
  const s = "}}}} not a brace {{{";
  if (user.id) {
    return `hello ${user.name} }`;
  }
  return s;
}

export class Store {
  private items: User[] = [];
  add(user: User): void {
    this.items.push(user);
  }
  /* { comment brace */
  get size(): number { return this.items.length; }
}

function notExported() {
  return 1;
}

export type Id = string | number;
export const VERSION = "1.0";
"""


def test_ts_schema_ignores_braces_in_strings_and_comments() -> None:
    assert _schema("store.ts", TS_SOURCE) == [
        '1: import { z } from "zod"',
        "2: const internal = 1;",
        "4: export interface User",
        "5:   id: string",
        "6:   name: string",
        "9: export function greet(user: User): string",
        "17: export class Store",
        "18:   private items: User[] = []",
        "19:   add(user: User): void",
        "23:   get size(): number  // { comment brace",
        "26: function notExported()",
        "30: export type Id = string | number;",
        '31: export const VERSION = "1.0";',
    ]


MD_SOURCE = """# Project guide
Intro text.

## Setup
Install things.

## Developer notes for T-1
The T-1 work touches src/api.
More notes.

## QA checklist
Quality things (qa).
"""


def test_markdown_sections_ranked_by_task_terms() -> None:
    lines = MD_SOURCE.splitlines()
    terms = build_terms([("T-1", 5), ("developer", 2)])
    assert markdown_sections(lines, 80, terms) == [
        "## Developer notes for T-1",
        "The T-1 work touches src/api.",
        "More notes.",
    ]
    assert markdown_sections(lines, 3, build_terms([("nothing-matches", 5)])) == ["# Project guide", "Intro text."]


def test_markdown_without_matches_keeps_document_order_within_budget() -> None:
    out = markdown_sections(MD_SOURCE.splitlines(), 6, build_terms([("zzz", 5)]))
    assert out is not None and out[0] == "# Project guide" and len(out) <= 6


def test_head_tail_shape() -> None:
    lines = [f"line {i}" for i in range(1, 201)]
    out = head_tail(lines, 80)
    assert len(out) == 49
    assert out[:2] == ["line 1", "line 2"] and out[23] == "line 24"
    assert out[24] == "[... omitted 152 lines; full source path available ...]"
    assert out[-1] == "line 200"
    assert head_tail(lines, 2) == ["line 1", "line 2"]
    assert head_tail(lines, 0) == []
    small = head_tail(lines, 5)
    assert small == ["line 1", "line 2", "[... omitted 196 lines; full source path available ...]", "line 199",
                     "line 200"]
