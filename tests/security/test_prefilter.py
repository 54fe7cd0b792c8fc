"""The RE2 prefilter: every translation matches a superset of its rule, and the detector gives the
reference's hits exactly with it on (corpus, property texts, long mixed texts, 16 MB)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.security import SecurityGuard, Sink
from orchestra.security.detectors import PREFILTER_WARM_CALLS, Detector, ReferenceDetector
from orchestra.security.inventory import ALL_RULES
from orchestra.security.prefilter import RulePrefilter, translate, translations
from orchestra.security.redaction import analyze
from tests.security.helpers import fill, load_corpus
from tests.security.test_fast_path import PIECES, mixed_texts
from tests.security.test_properties import PLANTS

re2 = pytest.importorskip("re2")

DATA = [r for r in ALL_RULES if r.marker is not None]
RISK = [r for r in ALL_RULES if r.marker is None]
# the RE2 set path on its own (the Hyperscan pass, once compiled, decides before it: tests/security/test_hyperscan.py)
PREFILTERED = Detector(ALL_RULES, use_hyperscan=False)
PLAIN = Detector(ALL_RULES, use_prefilter=False)
REFERENCE = ReferenceDetector(ALL_RULES)
DATA_FAST, RISK_FAST = Detector(DATA, use_hyperscan=False), Detector(RISK, use_hyperscan=False)
DATA_REF, RISK_REF = ReferenceDetector(DATA), ReferenceDetector(RISK)
for _detector in (PREFILTERED, DATA_FAST, RISK_FAST):
    assert _detector.prefilter is not None and _detector.prefilter.available


def _hits(detector: Detector | ReferenceDetector, text: str) -> list[tuple[str, int, int]]:
    return [(h.rule.rule_id, h.start, h.end) for h in detector.scan(text)]


def test_every_builtin_rule_is_prefiltered() -> None:
    """No rule silently falls back to 'always run' (a finder without a registered candidate would)."""
    assert PREFILTERED.prefilter is not None
    assert PREFILTERED.prefilter.untranslated == ()
    assert all(translations(rule) for rule in ALL_RULES)


def test_benign_line_activates_no_rule() -> None:
    prefilter = RulePrefilter(ALL_RULES)
    assert prefilter.active("We moved the retry logic into the worker so the scheduler stays simple.") == frozenset()
    github = next(i for i, r in enumerate(ALL_RULES) if r.rule_id == "secret.github.token")
    assert github in (prefilter.active("token ghp_" + "aB3dE5fG7h" * 4) or ())


@pytest.mark.parametrize(
    ("pattern", "flags", "matches", "misses"),
    [
        (r"(?<![\w.])ab(?![\w])", re.ASCII, ["ab", " ab.", "x ab"], ["xab", ".ab"]),
        (r"(?P<q>['\"])x{2,3}(?P=q)", 0, ["'xx'", '"xxx"'], ["xx"]),  # the back-reference repeats its group
        (r"(?i:token)[:=]\d{50}", re.ASCII, ["TOKEN=" + "1" * 50], ["token=1"]),
        (r"\bkey\b", re.ASCII, ["a key", "key"], ["monkeys"]),
        (r"[^\d\s]{3}", 0, ["abc", "äöü"], ["1 2"]),
    ],
)
def test_translation_is_a_superset(pattern: str, flags: int, matches: list[str], misses: list[str]) -> None:
    translated = re2.compile(translate(pattern, flags))
    original = re.compile(pattern, flags)
    for text in matches:
        assert original.search(text) and translated.search(text), text
    for text in misses:
        assert not original.search(text)


def test_trailing_assertions_are_dropped_for_windowed_matches() -> None:
    """A match inside ``[lo, hi)`` treats ``hi`` as the end: ``ab\\b`` matches ``abc`` searched up to 2."""
    assert re.compile(r"ab\b", re.ASCII).search("abc", 0, 2)
    assert re2.compile(translate(r"ab\b", re.ASCII)).search("abc")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=mixed_texts)
def test_every_rule_match_is_a_translation_match(text: str) -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return
    prefilter = PREFILTERED.prefilter
    assert prefilter is not None
    active = prefilter.active(text, max_chars=None)  # the translation itself, whatever the text's length
    assert active is not None
    for i, rule in enumerate(ALL_RULES):
        if rule.finder is None and rule.pattern.search(text):
            assert i in active, (rule.rule_id, data[:200])


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=st.one_of(mixed_texts, st.text(max_size=200)))
def test_prefiltered_scan_equals_reference(text: str) -> None:
    assert _hits(PREFILTERED, text) == _hits(REFERENCE, text) == _hits(PLAIN, text)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=mixed_texts)
def test_prefiltered_redaction_equals_reference(text: str) -> None:
    fast = analyze(DATA_FAST, text, risk_detector=RISK_FAST)
    ref = analyze(DATA_REF, text, risk_detector=RISK_REF)  # type: ignore[arg-type]
    assert (fast.text, fast.redaction_count, fast.converged) == (ref.text, ref.redaction_count, ref.converged)


def test_prefiltered_scan_equals_reference_on_the_corpus() -> None:
    for sample in load_corpus():
        assert _hits(PREFILTERED, sample.text) == _hits(REFERENCE, sample.text), sample.source


def test_prefiltered_scan_equals_reference_on_long_mixed_text() -> None:
    rng = random.Random(11)
    text = "".join(fill(rng.choice(PLANTS), rng)[0] if rng.random() < 0.2 else rng.choice(PIECES) for _ in range(3000))
    assert _hits(PREFILTERED, text) == _hits(REFERENCE, text)


def test_prefilter_waits_until_the_detector_is_warm() -> None:
    detector = Detector(DATA)
    assert detector.prefilter is not None
    detector.scan("short text")
    assert not detector.prefilter.built  # a one-shot process (a hook) never builds the set
    detector.scan("x" * 5000)
    assert not detector.prefilter.built  # a long text is left to the literal prefilter
    for _ in range(PREFILTER_WARM_CALLS):
        detector.scan("short text")
    assert detector.prefilter.wait(timeout=60)  # built in the background: no call waited for it
    line = "password=Tr0ub4dor&3"
    assert _hits(detector, line) == _hits(ReferenceDetector(DATA), line) != []


def test_prepare_builds_the_short_text_set_too() -> None:
    from orchestra.security import SecurityGuard

    guard = SecurityGuard(b"k" * 32)
    guard.prepare()
    assert all(d.prefilter is None or d.prefilter.built for d in (guard._data, guard._risk))


def test_lone_surrogates_fall_back_to_the_literal_prefilter() -> None:
    text = "password=Tr0ub4dor&3 \ud800"
    prefilter = PREFILTERED.prefilter
    assert prefilter is not None and prefilter.active(text) is None
    assert _hits(PREFILTERED, text) == _hits(REFERENCE, text)


@pytest.mark.slow
def test_sixteen_megabyte_text_finishes_and_redacts() -> None:
    """A text at the size limit (ordinary lines, 1 % planted secrets) is decided without an internal error and
    nothing planted survives. Speed is measured by bench/bench_guard.py, not here."""
    guard = SecurityGuard(b"prefilter-test-key-0123456789")
    rng = random.Random(3)
    ordinary = ["We moved the retry logic into the worker so the scheduler stays simple.\n",
                "2024-05-01T10:31:22Z INFO worker[4312] GET /api/v1/items?id=88231 200 12.5ms\n",
                "    for key, value in DEFAULTS.items():\n        data.setdefault(key, value)\n"]
    parts: list[str] = []
    planted: list[str] = []
    size = 0
    while size < guard.max_text_chars - 4096:
        if rng.random() < 0.01:
            piece, values = fill("api_key={secret}\n", rng)
            planted.extend(values)
        else:
            piece = rng.choice(ordinary)
        parts.append(piece)
        size += len(piece)
    decision = guard.guard("".join(parts), Sink.TRANSCRIPT)
    assert decision.reasons == ["secret_redacted"] and decision.text is not None
    assert not any(value in decision.text for value in planted[:200])


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="0123456789 .()/-x\n", max_size=300))
def test_phone_regions_by_regex_equal_counted_clusters(text: str) -> None:
    from orchestra.security import pii

    counted = pii._regions(pii._PHONE_CLUSTER_RE, text, 0, len(text), 8, 6, 2)
    assert pii._regions(pii.PHONE_REGION_RE, text, 0, len(text), 0, 6, 2) == counted
    assert pii.digit_count(text) == sum(c.isdigit() for c in text)


def test_case_folds_name_every_non_ascii_character_ignorecase_matches_to_a_letter() -> None:
    """The translation widens a case-insensitive letter by exactly these characters: checked against ``re`` itself
    over every code point, so a Python whose Unicode tables differ fails here rather than missing a match."""
    import string

    from orchestra.security.prefilter import CASE_FOLDS

    found: dict[str, set[str]] = {}
    letters = {c: re.compile(c, re.IGNORECASE) for c in string.ascii_lowercase}
    for code in range(0x80, 0x110000):
        char = chr(code)
        for related in {char.lower(), char.upper(), char.casefold()}:
            if len(related) == 1 and related.isascii() and related.isalpha():
                letter = related.lower()
                if letters[letter].fullmatch(char):
                    found.setdefault(letter, set()).add(char)
    for code in (0x130, 0x131, 0x17F, 0x212A):  # simple-case mappings lower()/upper() alone do not all show
        for letter, pattern in letters.items():
            if pattern.fullmatch(chr(code)):
                found.setdefault(letter, set()).add(chr(code))
    assert {k: set(v) for k, v in CASE_FOLDS.items()} == found


@pytest.mark.parametrize("pattern", [r"password", r"(?i)[a-z_]{3}key", r"(?i)secret[\s:=]+", r"(?i)[^a-z]kelvin"])
def test_a_case_insensitive_translation_still_matches_the_folded_characters(pattern: str) -> None:
    re2 = pytest.importorskip("re2")
    translated = re2.compile(translate(pattern, re.IGNORECASE))
    for text in ("PASSWORD", "pa\u017f\u017fword", "\u0130KEY", "S\u212aKEY", "\u212akey", "SECRET =", "x\u212aelvin"):
        if re.search(pattern, text, re.IGNORECASE):
            assert translated.search(text), (pattern, text)
