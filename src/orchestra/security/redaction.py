"""Redaction: merge overlapping hits, replace each region with one marker, repeat to a fixpoint.

Counts are true occurrence counts: one region (however many rules matched inside it) is one
occurrence of its most specific rule. Findings leave as :class:`SanitizedFinding` records:
rule id, category, severity, marker, count, offsets and keyed HMAC fingerprints, never values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from orchestra.security.detectors import Detector, Hit, TextIndex
from orchestra.security.model import SanitizedFinding
from orchestra.security.rules import Rule

MAX_PASSES = 4
MAX_SPANS_PER_FINDING = 100


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One counted finding. ``first_pass`` occurrences have offsets into the caller's text."""

    rule: Rule
    start: int
    end: int
    value: str
    first_pass: bool


@dataclass(frozen=True, slots=True)
class Analysis:
    """Result of scanning and redacting one text."""

    text: str
    occurrences: list[Occurrence]
    redaction_count: int
    converged: bool


def merge_regions(hits: Iterable[Hit]) -> list[tuple[int, int, Hit]]:
    """Overlapping hits merged into regions ``(start, end, primary)``; primary = highest priority."""
    ordered = sorted(hits, key=lambda h: (h.start, -h.end))
    regions: list[tuple[int, int, Hit]] = []
    for hit in ordered:
        if regions and hit.start < regions[-1][1]:
            start, end, primary = regions[-1]
            if hit.rule.priority > primary.rule.priority:
                primary = hit
            regions[-1] = (start, max(end, hit.end), primary)
        else:
            regions.append((hit.start, hit.end, hit))
    return regions


def _apply(text: str, regions: list[tuple[int, int, Hit]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, primary in regions:
        out.append(text[pos:start])
        out.append(primary.rule.marker or "")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _risk_occurrences(text: str, hits: list[Hit]) -> list[Occurrence]:
    by_rule: dict[str, list[Hit]] = {}
    for hit in hits:
        by_rule.setdefault(hit.rule.rule_id, []).append(hit)
    out: list[Occurrence] = []
    for rule_hits in by_rule.values():
        for start, end, primary in merge_regions(rule_hits):
            out.append(Occurrence(primary.rule, start, end, text[start:end], True))
    return out


def first_hits(detector: Detector, text: str, risk_detector: Detector | None = None) -> list[Hit]:
    """The hits of ``detector`` (and of ``risk_detector``, after them) on ``text``: an analysis's first scan."""
    if risk_detector is None:
        return detector.scan(text)  # builds its index only when its prefilter lets a rule run
    index = TextIndex(text, detector.keywords.union(risk_detector.keywords))  # shared by both scans
    hits = detector.scan(text, index)
    hits.extend(risk_detector.scan(text, index))
    return hits


def analyze(
    detector: Detector, text: str, *, risk_detector: Detector | None = None, max_passes: int = MAX_PASSES,
    hits: list[Hit] | None = None,
) -> Analysis:
    """Scan ``text``, report execution risks, and redact data findings until nothing is left to redact.

    ``hits``: :func:`first_hits` of the same arguments, when the caller has them already."""
    if hits is None:
        hits = first_hits(detector, text, risk_detector)
    if not hits:
        return Analysis(text, [], 0, converged=True)
    occurrences = _risk_occurrences(text, [h for h in hits if h.rule.marker is None])
    current = text
    redactable = [h for h in hits if h.rule.marker is not None]
    count = 0
    passes = 0
    while redactable:
        if passes >= max_passes:
            return Analysis(current, occurrences, count, converged=False)
        regions = merge_regions(redactable)
        for start, end, primary in regions:
            occurrences.append(Occurrence(primary.rule, start, end, current[start:end], passes == 0))
        count += len(regions)
        current = _apply(current, regions)
        passes += 1
        redactable = [h for h in detector.scan(current) if h.rule.marker is not None]
    return Analysis(current, occurrences, count, converged=True)


def fingerprint(key: bytes, rule_id: str, value: str) -> str:
    """Keyed correlation digest: HMAC-SHA256(key, rule_id NUL value), hex, first 32 chars."""
    mac = hmac.new(key, rule_id.encode() + b"\x00" + value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return mac.hexdigest()[:32]


def sanitize(occurrences: Iterable[Occurrence], key: bytes | None) -> list[SanitizedFinding]:
    """Aggregate occurrences per rule into value-free records (sorted by rule id)."""
    grouped: dict[str, list[Occurrence]] = {}
    for occ in occurrences:
        grouped.setdefault(occ.rule.rule_id, []).append(occ)
    findings: list[SanitizedFinding] = []
    for rule_id in sorted(grouped):
        occs = grouped[rule_id]
        rule = occs[0].rule
        located = sorted((o for o in occs if o.first_pass), key=lambda o: o.start)[:MAX_SPANS_PER_FINDING]
        findings.append(
            SanitizedFinding(
                rule_id=rule_id,
                category=rule.category,
                severity=rule.severity,
                marker=rule.marker,
                count=len(occs),
                spans=[(o.start, o.end) for o in located],
                fingerprints=[fingerprint(key, rule_id, o.value) for o in located] if key else [],
            )
        )
    return findings
