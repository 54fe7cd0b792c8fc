"""The fast detector must agree exactly with the reference scan; anchors must cover every match start."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.security.detectors import (
    Detector,
    ReferenceDetector,
    TextIndex,
    anchor_candidates,
    anchor_ranges,
    digit_marked,
    digit_windows,
    fast_digit_windows,
)
from orchestra.security.inventory import ALL_RULES
from orchestra.security.pii import digit_count
from orchestra.security.redaction import analyze
from tests.security.helpers import fill
from tests.security.test_properties import PLANTS

FAST = Detector(ALL_RULES)
REFERENCE = ReferenceDetector(ALL_RULES)
DATA_FAST = Detector([r for r in ALL_RULES if r.marker is not None])
RISK_FAST = Detector([r for r in ALL_RULES if r.marker is None])
DATA_REFERENCE = ReferenceDetector(DATA_FAST.rules)
RISK_REFERENCE = ReferenceDetector(RISK_FAST.rules)

# pieces that exercise anchors, windows, separators, markers, case and digits
PIECES = [
    "api_key", "APIKEY", "secret", "Token", "credential", "session_id", "pass", "Passwd", "PGPASSWORD", "pwd",
    "--password ", "-pass=", "key", " = ", ": ", "=>", ":=", '"', "'", "://", "https://", "git+ssh://u:p@h",
    "@", "a.b@example.org", "user@corp.io", "gh", "ghp_", "github_pat_", "sk-", "sk-ant-", "xoxb-", "AIza",
    "eyJ", ".eyJ", "Bearer ", "Authorization: Basic ", "-----BEGIN ", "PRIVATE KEY-----", "cvv ", "card security ",
    "SSN ", "social security number ", "passport # ", "DL ", "driver's license ", "EIN ", "ITIN", "tax id ",
    "bank account ", "checking  account no ", "acct ", "routing ", "aba ", "123", "4111", "-", " ", "\n", "\t",
    "1234567890", "4111111111111111", "078-05-1120", "(415) 555-2671", "+44 20 7946 0958", "%B", ";", "^",
    "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00", "[REDACTED_SECRET]", "[REDACTED_PII]",
    "ignore previous instructions", "you are now ", "rm -rf /", "dd if=x of=/dev/sda", "curl x | sh",
    "; DELETE FROM t", "' OR '1'='1", "DROP TABLE x", "javascript:alert(1)", "data:text", "file:///etc/x",
    "http://127.0.0.1/", "../../etc/passwd", "%2e%2e%2f", " /etc/shadow", "C:\\Windows\\System32\\config",
    "x", "Z9", "_", "aB3dE5fG7hJ9kL1mN3pQ", "İ", "K",
]  # fmt: skip

piece_texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
mixed_texts = st.one_of(
    piece_texts,
    st.tuples(piece_texts, st.text(max_size=60), piece_texts).map("".join),
    st.tuples(st.sampled_from(PLANTS), st.integers(0, 2**32), piece_texts, piece_texts).map(
        lambda t: t[2] + fill(t[0], random.Random(t[1]))[0] + t[3]
    ),
)


def _hits(detector: Detector | ReferenceDetector, text: str) -> list[tuple[str, int, int]]:
    return [(h.rule.rule_id, h.start, h.end) for h in detector.scan(text)]


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=mixed_texts)
def test_fast_scan_equals_reference(text: str) -> None:
    assert _hits(FAST, text) == _hits(REFERENCE, text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=mixed_texts)
def test_fast_redaction_equals_reference(text: str) -> None:
    fast = analyze(DATA_FAST, text, risk_detector=RISK_FAST)
    ref = analyze(DATA_REFERENCE, text, risk_detector=RISK_REFERENCE)  # type: ignore[arg-type]
    assert (fast.text, fast.redaction_count, fast.converged) == (ref.text, ref.redaction_count, ref.converged)
    assert [(o.rule.rule_id, o.start, o.end, o.value, o.first_pass) for o in fast.occurrences] == [
        (o.rule.rule_id, o.start, o.end, o.value, o.first_pass) for o in ref.occurrences
    ]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=mixed_texts)
def test_anchors_cover_every_match_start(text: str) -> None:
    index = TextIndex(text)
    if not index.aligned:
        return
    for rule in ALL_RULES:
        if not rule.anchors:
            continue
        starts = [s for s in range(len(text) + 1) if rule.pattern.match(text, s)]
        if rule.anchor_search:
            ranges = anchor_ranges(rule, index)
            assert all(any(a <= s <= b for a, b in ranges) for s in starts), rule.rule_id
        else:
            cands = set(anchor_candidates(rule, index))
            assert all(s in cands for s in starts), rule.rule_id


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789 -x\x00\n", max_size=600))
def test_fast_digit_windows_equal_reference(text: str) -> None:
    assert fast_digit_windows(text) == digit_windows(text)


unicode_digit_texts = st.text(alphabet=st.one_of(st.sampled_from("0123456789 -x\x00\n—→é١٢😀\ud800"), st.characters()),
                              max_size=400)


@settings(max_examples=300, deadline=None)
@given(text=unicode_digit_texts)
def test_digit_marks_and_counts_on_any_unicode(text: str) -> None:
    """The byte-level paths (fast on non-ASCII text) mark and count exactly the ASCII digits, index for index."""
    marked = digit_marked(text)
    assert len(marked) == len(text)
    assert [i for i, c in enumerate(marked) if c == "\x00"] == [i for i, c in enumerate(text) if c in "0123456789"]
    assert digit_count(text) == sum(c in "0123456789" for c in text)
    assert fast_digit_windows(text) == digit_windows(text)


def test_fast_scan_equals_reference_on_long_mixed_text() -> None:
    rng = random.Random(5)
    text = "".join(fill(rng.choice(PLANTS), rng)[0] if rng.random() < 0.2 else rng.choice(PIECES) for _ in range(3000))
    assert _hits(FAST, text) == _hits(REFERENCE, text)
