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


_CLUSTER_RE = re.compile(r"\d\d\d(?:\D{0,80}\d\d\d|\d)*", re.ASCII)
ANCHOR_MARGIN = 80


def digit_windows(text: str) -> list[tuple[int, int]]:
    """Merged windows reaching ``ANCHOR_MARGIN`` characters around every run of 3+ digits."""
    windows: list[tuple[int, int]] = []
    n = len(text)
    for m in _CLUSTER_RE.finditer(text):
        start, end = max(0, m.start() - ANCHOR_MARGIN), min(n, m.end() + ANCHOR_MARGIN)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def literal_windows(lowered: str, literals: tuple[str, ...], reach: tuple[int, int]) -> list[tuple[int, int]]:
    """Merged windows ``[occurrence - before, occurrence + after)`` around every literal occurrence."""
    before, after = reach
    n = len(lowered)
    starts: list[int] = []
    for lit in literals:
        i = lowered.find(lit)
        while i >= 0:
            starts.append(i)
            i = lowered.find(lit, i + 1)
    starts.sort()
    windows: list[tuple[int, int]] = []
    for i in starts:
        lo, hi = max(0, i - before), min(n, i + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


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
        whole = [(0, len(text))]
        windows: list[tuple[int, int]] | None = None
        for rule in self.rules:
            if rule.prefilter and not any(lit in lowered for lit in rule.prefilter):
                continue
            if rule.literal_window is not None and len(lowered) == len(text):
                spans = literal_windows(lowered, rule.prefilter, rule.literal_window)
            elif rule.digit_anchored:
                if windows is None:
                    windows = digit_windows(text)
                spans = windows
            else:
                spans = whole
            for span in spans:
                self._scan_span(rule, text, span, has_marker, hits)
        return hits

    def _scan_span(
        self, rule: Rule, text: str, span: tuple[int, int], has_marker: bool, hits: list[Hit]
    ) -> None:
        lo, hi = span
        if rule.finder is not None:
            hits.extend(Hit(rule, s, e) for s, e in rule.finder(text, lo, hi) if not _is_marker(text, s, e))
            return
        pos = lo
        while pos <= hi:
            match = rule.pattern.search(text, pos, hi)
            if match is None:
                break
            start, end = _value_span(rule, match)
            if self._keep(rule, match, (start, end), has_marker):
                hits.append(Hit(rule, start, end))
                pos = max(match.end(), match.start() + 1)
            else:
                # a rejected assignment must not hide a real value inside it: rescan from its value;
                # a rejected token is one word, skip it whole (keeps long junk runs linear)
                pos = start if match.start() < start < match.end() else max(match.end(), match.start() + 1)

    @staticmethod
    def _keep(rule: Rule, match: re.Match[str], span: tuple[int, int], has_marker: bool) -> bool:
        start, end = span
        if start >= end:
            return False
        value = match.string[start:end]
        if has_marker and MARKER_RE.search(value):
            rest = strip_markers(value).strip(" \t\"'")
            if len(rest) < 4:
                return False
            value = rest
        return rule.validate is None or rule.validate(value, match)


def _is_marker(text: str, start: int, end: int) -> bool:
    return bool(MARKER_RE.fullmatch(text, start, end))
