"""The keyword pass: the Aho-Corasick automaton must give exactly the positions of the ``str.find`` loops."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.security import detectors
from orchestra.security.detectors import (
    Detector,
    KeywordSet,
    ReferenceDetector,
    TextIndex,
    anchor_candidates,
    find_positions,
)
from orchestra.security.inventory import ALL_RULES
from tests.security.test_fast_path import PIECES

ALL_KEYWORDS = KeywordSet.of_rules(ALL_RULES)
STDLIB_KEYWORDS = KeywordSet.of_rules(ALL_RULES, use_automaton=False)
needs_automaton = pytest.mark.skipif(not detectors.HAVE_AUTOMATON, reason="ahocorasick-rs not installed")

_LITERAL_CHARS = "".join(sorted({c for lit in ALL_KEYWORDS.literals for c in lit}))
keyword_texts = st.one_of(
    st.lists(st.sampled_from(ALL_KEYWORDS.literals + tuple(PIECES)), max_size=60).map("".join),
    st.text(alphabet=_LITERAL_CHARS + _LITERAL_CHARS.upper() + "İKß\n", max_size=400),
    st.tuples(st.text(max_size=80), st.lists(st.sampled_from(ALL_KEYWORDS.literals), max_size=10)).map(
        lambda t: t[0].join(t[1]) or t[0]
    ),
)


def test_keyword_set_holds_every_rule_literal() -> None:
    for rule in ALL_RULES:
        for lit in rule.prefilter + tuple(lit for lit, _ in rule.anchors):
            assert lit in ALL_KEYWORDS.literals, (rule.rule_id, lit)
    assert STDLIB_KEYWORDS.literals == ALL_KEYWORDS.literals
    assert not STDLIB_KEYWORDS.uses_automaton
    assert STDLIB_KEYWORDS.find_all("password") is None


@needs_automaton
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=keyword_texts)
def test_automaton_positions_equal_find_loops(text: str) -> None:
    lowered = text.lower()
    assert ALL_KEYWORDS.uses_automaton
    assert ALL_KEYWORDS.find_all(lowered) == ALL_KEYWORDS.find_all_stdlib(lowered)


@needs_automaton
@settings(max_examples=300, deadline=None)
@given(
    literals=st.lists(st.text(alphabet="ab-", min_size=1, max_size=4), min_size=1, max_size=8),
    text=st.text(alphabet="abAB- ", max_size=200),
)
def test_automaton_finds_overlapping_and_nested_occurrences(literals: list[str], text: str) -> None:
    keywords = KeywordSet(literals)
    found = keywords.find_all(text)
    assert found is not None
    assert found == keywords.find_all_stdlib(text)
    assert found == {lit: p for lit in set(literals) if (p := find_positions(text, lit))}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=keyword_texts)
def test_text_index_positions_same_with_and_without_automaton(text: str) -> None:
    fast, slow, plain = TextIndex(text, ALL_KEYWORDS), TextIndex(text, STDLIB_KEYWORDS), TextIndex(text)
    lowered = text.lower()
    for lit in (*ALL_KEYWORDS.literals, "not-a-keyword"):
        expected = find_positions(lowered, lit)
        assert fast.positions(lit) == slow.positions(lit) == plain.positions(lit) == expected, lit
        assert fast.present(lit) == slow.present(lit) == plain.present(lit) == (lit in lowered), lit


def test_text_the_automaton_cannot_take_falls_back_to_find() -> None:
    text = "password=\ud800hunter2-secret \ud800 api_key"
    assert ALL_KEYWORDS.find_all(text.lower()) is None
    index = TextIndex(text, ALL_KEYWORDS)
    for lit in ALL_KEYWORDS.literals:
        assert index.positions(lit) == find_positions(text.lower(), lit)


def test_detector_without_the_automaton_equals_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detectors, "_ahocorasick", None)
    fast = Detector(ALL_RULES)
    assert not fast.keywords.uses_automaton
    reference = ReferenceDetector(ALL_RULES)
    text = "".join(PIECES) * 3
    assert [(h.rule.rule_id, h.start, h.end) for h in fast.scan(text)] == [
        (h.rule.rule_id, h.start, h.end) for h in reference.scan(text)
    ]


digit_texts = st.one_of(
    st.text(alphabet="0123456789-.+() %B;=^x\n", max_size=300),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=digit_texts)
def test_digit_run_anchors_cover_every_match_start(text: str) -> None:
    index = TextIndex(text, ALL_KEYWORDS)
    if not index.aligned:
        return
    anchored = [r for r in ALL_RULES if r.digit_run_anchor]
    assert {r.rule_id for r in anchored} >= {"sensitive_pii.ssn", "contact_pii.phone"}
    for rule in anchored:
        starts = [s for s in range(len(text) + 1) if rule.pattern.match(text, s)]
        cands = set(anchor_candidates(rule, index))
        assert all(s in cands for s in starts), (rule.rule_id, starts, sorted(cands))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=digit_texts)
def test_digit_heavy_fast_scan_equals_reference(text: str) -> None:
    fast, reference = Detector(ALL_RULES), ReferenceDetector(ALL_RULES)
    assert [(h.rule.rule_id, h.start, h.end) for h in fast.scan(text)] == [
        (h.rule.rule_id, h.start, h.end) for h in reference.scan(text)
    ]
