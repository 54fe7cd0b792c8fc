"""Running rules over text: literal prefilter, bounded regex scan, value span and validation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orchestra.security.rules import Rule
from orchestra.security.validators import MARKER_RE, strip_markers


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule match: the half-open span of the value to redact (or report)."""

    rule: Rule
    start: int
    end: int


def _value_span(rule: Rule, match: re.Match[str]) -> tuple[int, int]:
    for name in rule.value_groups:
        if match.group(name) is not None:
            start, end = match.span(name)
            break
    else:
        start, end = match.span()
    text = match.string
    if end - start >= 2 and text[start] == text[end - 1] and text[start] in "\"'":
        start, end = start + 1, end - 1
    return start, end


class Detector:
    """An immutable set of compiled rules; :meth:`scan` is thread-safe."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        ids = [r.rule_id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule ids")
        self.rules: tuple[Rule, ...] = tuple(rules)

    def scan(self, text: str) -> list[Hit]:
        """All validated hits, in rule order then text order. Markers never count as values."""
        if not text:
            return []
        lowered = text.lower()
        has_marker = "[REDACTED_" in text
        hits: list[Hit] = []
        for rule in self.rules:
            if rule.prefilter and not any(lit in lowered for lit in rule.prefilter):
                continue
            for match in rule.pattern.finditer(text):
                start, end = _value_span(rule, match)
                if start >= end:
                    continue
                value = text[start:end]
                if has_marker and MARKER_RE.search(value):
                    rest = strip_markers(value).strip(" \t\"'")
                    if len(rest) < 4:
                        continue
                    value = rest
                if rule.validate is not None and not rule.validate(value, match):
                    continue
                hits.append(Hit(rule, start, end))
        return hits
