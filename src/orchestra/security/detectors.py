"""Running rules over text: literal prefilter, bounded regex scan, value span and validation.

:class:`Detector` is the fast path: one :class:`TextIndex` per text (lower-cased copy, literal
positions, digit windows) shared by every rule, and anchored rules tried only where a match can
start. :class:`ReferenceDetector` is the plain per-rule scan it must agree with exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from orchestra.security.hs_prefilter import Candidates, HyperscanPrefilter
from orchestra.security.lazy_pattern import real_pattern
from orchestra.security.prefilter import MAX_TEXT_CHARS as PREFILTER_MAX_CHARS
from orchestra.security.prefilter import RulePrefilter
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
        if end > start and text[end - 1] == "\\" and start >= 2 and text[start - 2] == "\\":
            end -= 1  # an escaped pair (\"…\") inside a string: the closing backslash is not the value's
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
    starts: list[int] = []
    for lit in literals:
        i = lowered.find(lit)
        while i >= 0:
            starts.append(i)
            i = lowered.find(lit, i + 1)
    starts.sort()
    return _merge_reach(starts, reach, len(lowered))


class ReferenceDetector:
    """The straightforward scanner: every rule searched over its windows. Kept as the reference the
    fast :class:`Detector` is tested against (and used for texts whose lower-casing changes length)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        ids = [r.rule_id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule ids")
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.keywords = KeywordSet.of_rules(self.rules, use_automaton=False)
        """For interface parity with :class:`Detector` (the reference scan uses ``str.find`` only)."""

    def scan(self, text: str, index: TextIndex | None = None) -> list[Hit]:
        """All validated hits, in rule order then text order. Markers never count as values.

        ``index`` is accepted for interface parity with :class:`Detector` and ignored."""
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
            budget = [MAX_VALIDATIONS_PER_RULE]
            for span in spans:
                self._scan_span(rule, text, span, has_marker, hits, budget)
        return hits

    @staticmethod
    def _scan_span(
        rule: Rule, text: str, span: tuple[int, int], has_marker: bool, hits: list[Hit], budget: list[int]
    ) -> None:
        lo, hi = span
        if rule.finder is not None:
            hits.extend(Hit(rule, s, e) for s, e in rule.finder(text, lo, hi) if not _is_marker(text, s, e))
            return
        pos = lo
        search = rule.pattern.search
        while pos <= hi:
            match = search(text, pos, hi)
            if match is None:
                break
            start, end = _value_span(rule, match)
            if ReferenceDetector._keep(rule, match, (start, end), has_marker, budget):
                hits.append(Hit(rule, start, end))
                if budget[0] < 0 and rule.validate is not None and match.start() < start < match.end():
                    pos = start  # unvalidated: as after a rejection, a real value inside it is still found
                else:
                    pos = max(match.end(), match.start() + 1)
            else:
                # a rejected assignment must not hide a real value inside it: rescan from its value;
                # a rejected token is one word, skip it whole (keeps long junk runs linear)
                pos = start if match.start() < start < match.end() else max(match.end(), match.start() + 1)

    @staticmethod
    def _keep(rule: Rule, match: re.Match[str], span: tuple[int, int], has_marker: bool, budget: list[int]) -> bool:
        """Whether a match is a finding. ``budget`` counts this rule's validator calls in one scan: once spent,
        a match counts without validation (fail closed: hostile text is over-redacted, never let through) and
        the scan goes on from its value as after a rejection, so no value inside it is skipped."""
        start, end = span
        if start >= end:
            return False
        value = match.string[start:end]
        if has_marker and MARKER_RE.search(value):
            rest = strip_markers(value).strip(" \t\"'")
            if len(rest) < 4:
                return False
            value = rest
        if rule.validate is None:
            return True
        budget[0] -= 1
        return budget[0] < 0 or rule.validate(value, match)


MAX_VALIDATIONS_PER_RULE = 10_000
"""Validator calls per rule and scan (a bound for hostile texts: ``password=`` repeated 110,000 times cost 2.7 s
of CPU per MB in ``password.assignment`` alone, each candidate rejected by Python code and rescanned from its
value). Past it a match is a finding unvalidated, so the guard stays linear and fails closed."""


def _is_marker(text: str, start: int, end: int) -> bool:
    return bool(MARKER_RE.fullmatch(text, start, end))


_DIGIT_MARK = str.maketrans("0123456789\x00", "\x00" * 10 + "\x01")
_DIGIT_MARK_BYTES = bytes.maketrans(b"0123456789\x00", b"\x00" * 10 + b"\x01")


def digit_marked(text: str) -> str:
    """``text`` with ASCII digits as NUL (and NUL as ``\\x01``), index for index.

    ``str.translate`` is fast only on ASCII text: one em dash sends it down a per-character path
    about 30x slower (6.5 ms for 64 KB). Other text is encoded to ASCII first, each other code point
    becoming one ``?``, so the indices stay those of ``text``."""
    if text.isascii():
        return text.translate(_DIGIT_MARK)
    return text.encode("ascii", "replace").translate(_DIGIT_MARK_BYTES).decode("ascii")
_MARKED_CLUSTER_RE = re.compile("\x00\x00\x00(?:[^\x00]{0,80}\x00\x00\x00|\x00)*")
_MARKED_RUN_RE = re.compile("\x00\x00\x00\x00*")  # a literal prefix: scanned for fast
"""``_CLUSTER_RE`` over the digit-marked text: ASCII digits are NUL there and nothing else is."""


def fast_digit_windows(text: str, marked: str | None = None) -> list[tuple[int, int]]:
    """Exactly :func:`digit_windows`, about twice as fast.

    ASCII digits are mapped to NUL (and NUL away) with :func:`digit_marked`; the same cluster regex over
    that text has a literal prefix, which ``re`` scans for much faster than the ``\\d`` class.
    ``marked`` is that translation when the caller has it already."""
    windows: list[tuple[int, int]] = []
    n = len(text)
    for m in _MARKED_CLUSTER_RE.finditer(digit_marked(text) if marked is None else marked):
        start, end = max(0, m.start() - ANCHOR_MARGIN), min(n, m.end() + ANCHOR_MARGIN)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _load_automaton() -> ModuleType | None:
    """``ahocorasick_rs`` (binary wheels) for the keyword pass; ``None`` falls back to ``str.find`` loops."""
    try:
        import ahocorasick_rs
    except ImportError:  # pragma: no cover - the fallback is exercised by patching ``_ahocorasick``
        return None
    return ahocorasick_rs


_ahocorasick = _load_automaton()

HAVE_AUTOMATON = _ahocorasick is not None


def find_positions(lowered: str, literal: str) -> list[int]:
    """Every (overlapping) occurrence of ``literal`` in ``lowered``, ascending (the stdlib keyword pass)."""
    found: list[int] = []
    i = lowered.find(literal)
    while i >= 0:
        found.append(i)
        i = lowered.find(literal, i + 1)
    return found


class KeywordSet:
    """The literals a rule set looks up (prefilters and anchors), found in one pass over a text.

    With ``ahocorasick-rs`` installed, :meth:`find_all` runs one automaton (standard match kind,
    overlapping: every occurrence of every literal, also inside another literal) instead of one
    ``str.find`` loop per literal; the positions are exactly those of :func:`find_positions`. Without
    it (or for a text the automaton cannot take, e.g. lone surrogates) the ``find`` loops are used."""

    __slots__ = ("_automaton", "literal_set", "literals")

    def __init__(self, literals: Iterable[str], *, use_automaton: bool = True) -> None:
        self.literals: tuple[str, ...] = tuple(sorted({lit for lit in literals if lit}))
        self.literal_set: frozenset[str] = frozenset(self.literals)
        self._automaton: Any = None
        if use_automaton and _ahocorasick is not None and self.literals:
            self._automaton = _ahocorasick.AhoCorasick(
                list(self.literals),
                matchkind=_ahocorasick.MatchKind.Standard,
                implementation=_ahocorasick.Implementation.DFA,
            )

    @classmethod
    def of_rules(cls, rules: Iterable[Rule], *, use_automaton: bool = True) -> KeywordSet:
        literals: set[str] = set()
        for rule in rules:
            literals.update(rule.prefilter)
            literals.update(lit for lit, _ in rule.anchors)
        return cls(literals, use_automaton=use_automaton)

    @property
    def uses_automaton(self) -> bool:
        return self._automaton is not None

    def union(self, other: KeywordSet) -> KeywordSet:
        """A set with the literals of both (cached: built once per pair of sets)."""
        return self if other is self else _union(self, other)

    def find_all(self, lowered: str) -> dict[str, list[int]] | None:
        """The ascending positions of every literal that occurs in ``lowered`` (absent literals are left out), in
        one automaton pass; ``None`` without one."""
        if self._automaton is None:
            return None
        try:
            matches = self._automaton.find_matches_as_indexes(lowered, overlapping=True)
        except UnicodeError:  # lone surrogates cannot cross into the automaton; find() handles them
            return None
        found: dict[str, list[int]] = {}
        literals = self.literals
        for k, start, _end in matches:  # ordered by end: for one literal (one length) by start too
            lit = literals[k]
            bucket = found.get(lit)
            if bucket is None:
                found[lit] = [start]
            else:
                bucket.append(start)
        return found

    def find_all_stdlib(self, lowered: str) -> dict[str, list[int]]:
        """:meth:`find_all` with ``str.find`` loops only (the fallback, and its reference in the tests)."""
        return {lit: found for lit in self.literals if (found := find_positions(lowered, lit))}


@lru_cache(maxsize=32)
def _union(a: KeywordSet, b: KeywordSet) -> KeywordSet:
    if set(b.literals) <= set(a.literals):
        return a
    return KeywordSet(a.literals + b.literals, use_automaton=a.uses_automaton or b.uses_automaton)


@lru_cache(maxsize=64)
def _subset(a: frozenset[str], b: frozenset[str]) -> bool:
    return a <= b


class TextIndex:
    """Facts about one text computed once and shared by every rule (and the data and risk detectors).

    Literal positions come from the :class:`KeywordSet` passes run on it (one automaton pass per set,
    on first use), or from a ``str.find`` loop for a literal no pass covered."""

    __slots__ = (
        "_covered", "_digit_run_ends", "_digit_windows", "_keywords", "_marked", "_positions", "_present",
        "aligned", "lowered", "text",
    )  # fmt: skip

    def __init__(self, text: str, keywords: KeywordSet | None = None) -> None:
        self.text = text
        self.lowered = text.lower()
        self.aligned = len(self.lowered) == len(text)
        self._positions: dict[str, list[int]] = {}
        self._covered: list[frozenset[str]] = []
        """Literal sets found by a completed pass: a literal of one of them that is not in ``_positions`` is absent."""
        self._present: dict[str, bool] = {}
        self._digit_windows: list[tuple[int, int]] | None = None
        self._marked: str | None = None
        self._digit_run_ends: list[int] | None = None
        self._keywords: list[KeywordSet] = [keywords] if keywords is not None and keywords.uses_automaton else []

    def use(self, keywords: KeywordSet) -> None:
        """Find ``keywords`` in one pass when first needed (unless a pass already covers them)."""
        if keywords.uses_automaton and all(k is not keywords for k in self._keywords):
            self._keywords.append(keywords)

    def _run_passes(self) -> None:
        pending, self._keywords = self._keywords, []
        for keywords in pending:
            if self._covers(keywords.literal_set):
                continue
            found = keywords.find_all(self.lowered)
            if found is not None:
                for lit, starts in found.items():
                    self._positions.setdefault(lit, starts)
                self._covered.append(keywords.literal_set)

    def _covers(self, literals: frozenset[str]) -> bool:
        """Whether a completed pass found every literal of ``literals`` (a cached subset test: a keyword set's
        literals are hundreds of strings, and ``<=`` on frozensets has no shortcut for the same set)."""
        return any(covered is literals or _subset(literals, covered) for covered in self._covered)

    def _is_covered(self, literal: str) -> bool:
        return any(literal in covered for covered in self._covered)

    def positions(self, literal: str) -> list[int]:
        """Every (overlapping) occurrence of ``literal`` in the lower-cased text, ascending (do not mutate)."""
        found = self._positions.get(literal)
        if found is None:
            if self._keywords:
                self._run_passes()
                found = self._positions.get(literal)
            if found is None:
                if self._is_covered(literal):
                    self._positions[literal] = _EMPTY  # absent: known without a search next time
                    return _EMPTY
                found = find_positions(self.lowered, literal)
                self._positions[literal] = found
        return found

    def present(self, literal: str) -> bool:
        """``literal in text.lower()``, cached."""
        known = self._present.get(literal)
        if known is None:
            if self._keywords:
                self._run_passes()
            found = self._positions.get(literal)
            if found is not None:
                known = bool(found)
            elif self._is_covered(literal):
                known = False
            else:
                known = literal in self.lowered
            self._present[literal] = known
        return known

    def found_literals(self, keywords: KeywordSet) -> Iterable[str]:
        """The literals of ``keywords`` that occur in the text (from the automaton pass when there is one)."""
        self.use(keywords)
        if self._keywords:
            self._run_passes()
        if self._covers(keywords.literal_set):
            return [lit for lit in self._positions if lit in keywords.literal_set and self._positions[lit]]
        lowered = self.lowered
        return [lit for lit in keywords.literals if lit in lowered]

    def _digit_marked(self) -> str:
        if self._marked is None:
            self._marked = digit_marked(self.text)
        return self._marked

    def digit_windows(self) -> list[tuple[int, int]]:
        if self._digit_windows is None:
            self._digit_windows = fast_digit_windows(self.text, self._digit_marked())
        return self._digit_windows

    def digit_run_ends(self) -> list[int]:
        """Ascending ends ``b < len(text)`` of the maximal runs of 3+ ASCII digits (``text[b]`` is no digit)."""
        if self._digit_run_ends is None:
            n = len(self.text)
            self._digit_run_ends = [e for m in _MARKED_RUN_RE.finditer(self._digit_marked()) if (e := m.end()) < n]
        return self._digit_run_ends


_EMPTY: list[int] = []


def _merge_reach(starts: list[int], reach: tuple[int, int], n: int) -> list[tuple[int, int]]:
    before, after = reach
    windows: list[tuple[int, int]] = []
    for i in starts:
        lo, hi = max(0, i - before), min(n, i + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def anchor_candidates(rule: Rule, index: TextIndex) -> list[int]:
    """Sorted positions where ``rule.pattern`` can start (point anchors), within ``[0, len(text)]``."""
    text = index.text
    n = len(text)
    found: set[int] = set()
    for literal, offsets in rule.anchors:
        positions = index.positions(literal)  # ascending, each in [0, n)
        if not positions:
            continue
        for off in offsets:  # each offset added to the positions that keep it in [0, n], at C speed
            if off == 0:
                found.update(positions)
            elif off < 0:
                found.update(map(off.__add__, positions[bisect_left(positions, -off) :]))
            else:
                found.update(map(off.__add__, positions[: bisect_right(positions, n - off)]))
    if rule.digit_run_anchor:
        follow = rule.digit_run_anchor
        found.update(b - 3 for b in index.digit_run_ends() if text[b] in follow)
    if rule.anchor_word_start:
        return sorted(c for c in found if c < n and text[c] in _WORD and (c == 0 or text[c - 1] not in _WORD))
    return sorted(found)


def anchor_ranges(rule: Rule, index: TextIndex) -> list[tuple[int, int]]:
    """Sorted disjoint ``[a, b]`` ranges covering every position where ``rule.pattern`` can start."""
    spans: list[tuple[int, int]] = []
    for literal, offsets in rule.anchors:
        lo, hi = min(offsets), max(offsets)
        spans.extend((max(0, i + lo), i + hi) for i in index.positions(literal) if i + hi >= 0)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


class Detector:
    """An immutable set of compiled rules; :meth:`scan` is thread-safe.

    Gives exactly the hits of :class:`ReferenceDetector` (property-tested), faster: literal presence and
    positions come from one shared :class:`TextIndex`; an anchored rule runs ``pattern.match`` only at
    its candidate starts (or ``search`` from the start of its candidate ranges) instead of searching
    every window, and its prefilter is only consulted once it has a hit."""

    def __init__(self, rules: Sequence[Rule], *, use_prefilter: bool = True, use_hyperscan: bool | None = None) -> None:
        self.reference = ReferenceDetector(rules)
        self.rules: tuple[Rule, ...] = self.reference.rules
        self.keywords = KeywordSet.of_rules(self.rules)
        triggers: dict[str, list[int]] = {}
        digit_rules: list[int] = []
        always: list[int] = []
        for i, rule in enumerate(self.rules):
            literals = {lit for lit, _ in rule.anchors} if rule.anchors else set(rule.prefilter)
            for lit in literals:
                triggers.setdefault(lit, []).append(i)
            if rule.digit_run_anchor or (not literals and rule.digit_anchored):
                digit_rules.append(i)
            elif not literals:
                always.append(i)
        self._triggers: dict[str, tuple[int, ...]] = {lit: tuple(ix) for lit, ix in triggers.items()}
        self._digit_rules = frozenset(digit_rules)
        self._always = frozenset(always)
        """Which rules can possibly hit: a rule runs only when one of its literals occurs (or, for digit rules,
        when the text has a run of 3+ digits); the others would find no candidate and are skipped."""
        self.prefilter: RulePrefilter | None = RulePrefilter(self.rules) if use_prefilter else None
        """One RE2 set pass naming the rules whose (relaxed) pattern matches the text at all; built once the
        detector is warm (see :meth:`_prefilter_ready`), so one-shot processes never pay for it."""
        if use_hyperscan is None:
            use_hyperscan = use_prefilter
        self.hyperscan: HyperscanPrefilter | None = HyperscanPrefilter(self.rules) if use_hyperscan else None
        """One Hyperscan pass naming the candidate rules of a long text and where their matches can start; compiled
        in the background after the first megabyte of long text (the literal path runs until it is ready)."""
        self._calls = 0
        for rule in self.rules:
            if (rule.anchors or rule.digit_run_anchor) and rule.finder is not None:
                raise ValueError(f"rule {rule.rule_id}: anchors are not supported with a finder")
            if rule.digit_run_anchor and rule.anchor_search:
                raise ValueError(f"rule {rule.rule_id}: digit-run anchors are points, not search ranges")

    def scan(self, text: str, index: TextIndex | None = None) -> list[Hit]:
        """All validated hits, in rule order then text order. Markers never count as values."""
        if not text:
            return []
        if self.hyperscan is not None:
            candidates = self.hyperscan.candidates(text)  # ``None`` until compiled (the text counts toward that)
            if candidates is not None:
                if not candidates.ranges:
                    return []
                # a literal index without the automaton pass: only the candidates' literals are looked up
                windowed = TextIndex(text)
                if not windowed.aligned:
                    return self.reference.scan(text)
                return self._scan_windowed(text, windowed, candidates)
        possible = self._possible(text)
        if possible is not None and not possible:
            return []
        if index is None or index.text is not text:
            index = TextIndex(text, self.keywords)
        if not index.aligned:
            return self.reference.scan(text)
        active = set(self._always)
        triggers = self._triggers
        for lit in index.found_literals(self.keywords):
            active.update(triggers.get(lit, ()))
        if self._digit_rules and index.digit_windows():
            active |= self._digit_rules
        if possible is not None:
            active &= possible
        if not active:
            return []
        has_marker = "[REDACTED_" in text
        whole = [(0, len(text))]
        hits: list[Hit] = []
        rules = self.rules
        for i in sorted(active):
            rule = rules[i]
            spans = _rule_spans(rule, index, whole)
            if spans:
                _run_rule(rule, index, spans, has_marker, hits)
        return hits

    def _scan_windowed(self, text: str, index: TextIndex, candidates: Candidates) -> list[Hit]:
        """:meth:`scan` from the Hyperscan candidates: each windowed rule searched only from its start ranges
        (the search's end cut at the range end plus the rule's reach), the others run as usual."""
        has_marker = "[REDACTED_" in text
        whole = [(0, len(text))]
        hits: list[Hit] = []
        rules = self.rules
        reaches = self.hyperscan.reach if self.hyperscan is not None else ()
        for i, ranges in sorted(candidates.ranges.items()):
            rule = rules[i]
            spans = _rule_spans(rule, index, whole)
            if not spans:
                continue
            if ranges is None:
                _run_rule(rule, index, spans, has_marker, hits)
                continue
            budget = [MAX_VALIDATIONS_PER_RULE]
            for span in spans:
                _scan_windows(rule, text, span, ranges, reaches[i], has_marker, hits, budget)
        return hits

    def _possible(self, text: str) -> frozenset[int] | None:
        """The rules the RE2 prefilter lets run (``None``: undecided, the literal prefilter decides alone)."""
        prefilter = self.prefilter
        if prefilter is None or len(text) > PREFILTER_MAX_CHARS:
            return None
        if not prefilter.built:
            self._calls += 1
            if self._calls >= PREFILTER_WARM_CALLS:
                prefilter.build_in_background()
            return None
        return prefilter.active(text)


def _rule_spans(rule: Rule, index: TextIndex, whole: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans the reference scan searches ``rule`` in (empty: its prefilter literals are absent)."""
    if rule.literal_window is not None:
        # the prefilter passes exactly when some literal occurs, i.e. when there is a window
        starts = sorted(i for lit in rule.prefilter for i in index.positions(lit))
        return _merge_reach(starts, rule.literal_window, len(index.text))
    if rule.prefilter and not any(index.present(lit) for lit in rule.prefilter):
        return []
    if rule.digit_anchored:
        return index.digit_windows()
    return whole


def _run_rule(rule: Rule, index: TextIndex, spans: list[tuple[int, int]], has_marker: bool, hits: list[Hit]) -> None:
    """One rule over its spans: the reference loop, from anchor candidates when the rule has anchors."""
    text = index.text
    budget = [MAX_VALIDATIONS_PER_RULE]
    if not rule.anchors and not rule.digit_run_anchor:
        for span in spans:
            ReferenceDetector._scan_span(rule, text, span, has_marker, hits, budget)
        return
    if rule.anchor_search:
        ranges = anchor_ranges(rule, index)
        if ranges:
            for span in spans:
                _scan_ranges(rule, text, span, ranges, has_marker, hits, budget)
        return
    cands = anchor_candidates(rule, index)
    if cands:
        for span in spans:
            _scan_points(rule, text, span, cands, has_marker, hits, budget)


def _scan_windows(
    rule: Rule, text: str, span: tuple[int, int], ranges: list[tuple[int, int]], reach: int, has_marker: bool,
    hits: list[Hit], budget: list[int],
) -> None:
    """The reference search loop over ``span``, searching only from the start ranges ``[a, b]`` of the Hyperscan
    pass, with ``endpos`` cut at ``b + reach`` (a match attempt starting by ``b`` reads nothing past it, so it
    sees what it sees in the whole span); a match found past ``b`` is left to the next range."""
    lo, hi = span
    search = real_pattern(rule.pattern).search
    k = bisect_left(ranges, (lo, -1))
    if k > 0 and ranges[k - 1][1] >= lo:
        k -= 1
    count = len(ranges)
    pos = lo
    while k < count:
        a, b = ranges[k]
        if b < pos:
            k += 1
            continue
        c = max(a, pos)
        if c > hi:
            break
        match = search(text, c, min(hi, b + reach))
        if match is None or match.start() > b:
            k += 1
            continue
        pos = _after(rule, match, has_marker, hits, budget)


PREFILTER_WARM_CALLS = 16
"""The RE2 set starts building (in a background thread) on the 16th scan of a short text: building costs about
0.1 s of CPU, which a hook process that guards one short text is better without, and no guard call waits for it."""


def _scan_points(
    rule: Rule, text: str, span: tuple[int, int], cands: list[int], has_marker: bool, hits: list[Hit],
    budget: list[int],
) -> None:
    """The reference search loop over ``span``, trying ``pattern.match`` only at candidate starts."""
    lo, hi = span
    match_at = real_pattern(rule.pattern).match
    pos = lo
    # a slice, not ``islice``: islice walks the list from its start, which made a long text's scan quadratic
    for c in cands[bisect_left(cands, lo):bisect_right(cands, hi)]:
        if c < pos:  # inside the last match (``_after`` always moves past its start)
            continue
        match = match_at(text, c, hi)
        if match is not None:
            pos = _after(rule, match, has_marker, hits, budget)


def _scan_ranges(
    rule: Rule, text: str, span: tuple[int, int], ranges: list[tuple[int, int]], has_marker: bool, hits: list[Hit],
    budget: list[int],
) -> None:
    """The reference search loop over ``span``, searching only from the start of candidate ranges."""
    lo, hi = span
    pattern = real_pattern(rule.pattern)
    k = bisect_left(ranges, (lo, -1))
    if k > 0 and ranges[k - 1][1] >= lo:
        k -= 1
    count = len(ranges)
    pos = lo
    while k < count:
        a, b = ranges[k]
        if b < pos:
            k += 1
            continue
        c = max(a, pos)
        if c > hi:
            break
        match = pattern.search(text, c, hi)
        if match is None:
            break
        pos = _after(rule, match, has_marker, hits, budget)


def _after(rule: Rule, match: re.Match[str], has_marker: bool, hits: list[Hit], budget: list[int]) -> int:
    """Record ``match`` if it is kept; the position the reference loop continues from."""
    start, end = _value_span(rule, match)
    if ReferenceDetector._keep(rule, match, (start, end), has_marker, budget):
        hits.append(Hit(rule, start, end))
        if budget[0] < 0 and rule.validate is not None and match.start() < start < match.end():
            return start  # unvalidated: as after a rejection (see ReferenceDetector._scan_span)
        return max(match.end(), match.start() + 1)
    return start if match.start() < start < match.end() else max(match.end(), match.start() + 1)
