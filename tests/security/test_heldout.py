"""The held-out evaluation (tests/data/heldout): strict per-category recall and precision, ordinary lines kept.

Scored like the independent corpus: a planted value counts as caught only when no 16-character stretch of
it survives the redaction. Several seeds, so the fakes differ from run to run of the bar.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.security import SecurityGuard
from tests.security.heldout import GENRES, Line, fill_line, load_heldout, score, survives

MIN_RECALL = 0.98
MIN_PRECISION = 0.97
MIN_ORDINARY_UNCHANGED = 0.99
GUARD = SecurityGuard(b"heldout-test-key-0123456789")


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    return load_heldout(7)


def test_every_genre_has_positives_and_hard_negatives(lines: list[Line]) -> None:
    for genre in GENRES:
        mine = [line for line in lines if line.genre == genre]
        assert sum(1 for line in mine if line.planted) >= 40, genre
        assert sum(1 for line in mine if not line.planted) >= 25, genre
    categories = {cat for line in lines for _, cat in line.planted}
    assert categories == {"secret", "password", "private_key", "payment_data", "sensitive_pii", "contact_pii"}


@pytest.mark.parametrize("seed", [7, 11, 2024])
def test_strict_recall_precision_and_ordinary_lines(seed: int) -> None:
    report = score(load_heldout(seed), GUARD)
    low = {
        cat: (s.planted, round(s.recall, 3), s.spans, round(s.precision, 3))
        for cat, s in report.scores.items()
        if s.recall < MIN_RECALL or s.precision < MIN_PRECISION
    }
    assert not low, f"below bar: {low}; misses: {report.misses}; false: {report.false_spans}"
    assert report.ordinary_rate >= MIN_ORDINARY_UNCHANGED, report.false_spans


def test_strict_survival_rule() -> None:
    value = "A" * 10 + "bcdefghijklmnopqrstuv"
    assert survives(value, "xx " + value[3:19] + " yy")  # one 16-character stretch is enough
    assert not survives(value, "xx " + value[:15] + "[REDACTED_SECRET]" + value[-15:])
    assert survives("hunter22", "the password is hunter22")
    assert not survives("hunter22", "the password is [REDACTED_PASSWORD]")


def test_score_counts_misses_and_false_spans() -> None:
    lines = [
        Line("chat", "t:1", "my token is «x»", [("tok_not_detected_value", "secret")]),
        Line("chat", "t:2", "mail jane.doe@acme-corp.com", []),
    ]
    lines[0].text = "the value tok_not_detected_value is here"
    report = score(lines, GUARD)
    assert report.scores["secret"].recall == 0.0
    assert report.scores["contact_pii"].precision == 0.0
    assert report.ordinary_rate == 0.0
    assert report.misses and report.false_spans


_POSITIVES = [line for line in load_heldout(7) if line.planted]
_SOURCES = sorted({line.source for line in _POSITIVES})
_TEMPLATES = {}
for _genre in GENRES:
    from tests.security.heldout import HELDOUT_DIR

    for _n, _raw in enumerate((HELDOUT_DIR / f"{_genre}.txt").read_text(encoding="utf-8").splitlines(), 1):
        if f"{_genre}.txt:{_n}" in _SOURCES:
            _TEMPLATES[f"{_genre}.txt:{_n}"] = _raw.replace("\\n", "\n").replace("\\t", "\t")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    source=st.sampled_from(sorted(_TEMPLATES)),
    seed=st.integers(0, 2**32),
    around=st.tuples(st.text(max_size=120), st.text(max_size=120)),
    sep=st.sampled_from(["\n", " \n", "\n\n"]),
)
def test_planted_line_survives_no_surrounding_text(source: str, seed: int, around: tuple[str, str], sep: str) -> None:
    """A held-out positive line keeps its values caught whatever text comes before and after it."""
    text, planted = fill_line(_TEMPLATES[source], random.Random(seed))
    alone = GUARD.redact(text)
    out = GUARD.redact(around[0] + sep + text + sep + around[1])
    for value, _cat in planted:
        if survives(value, alone) or any(value in part for part in around):
            continue  # measured by the recall test; here only the surrounding text matters
        assert not survives(value, out), (source, value)


ADVERSARIAL_CONTEXT = {
    "user_colon": "user a:" * 150_000,
    "login_slash": "login a / b " * 90_000,
    "key_tokens": ("key " + "A1b2" * 150 + " ") * 1700,
    "secret_gap": ("secret " + "x " * 30 + "y") * 15_000,
    "id_table": "name,ssn,national_id,mobile,cvv\n" + "Anna,536-90-4407,12345678901,+44 7911 123456,123\n" * 20_000,
    "header_every_row": "name,ssn,phone\n1,2,3\n" * 60_000,
    "echo_pipe": "echo abc | " * 100_000,
    "password_bare": "password abc1! " * 70_000,
    "pass_quote": "'password', " * 90_000,
    "variable": 'variable "db_password" { ' * 40_000,
    "kind_secret": "kind: Secret\ndata:\n" + "  k: v\n" * 150_000,
    "entry": '<entry key="password">' * 45_000,
    "signature": "?signature=" + "A" * 1_000_000,
    "htpasswd": "htpasswd -b " * 90_000,
    "ppk": "Private-Lines: 9\n" + "QUFB\n" * 200_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_CONTEXT))
def test_one_megabyte_adversarial_context_line_finishes(name: str) -> None:
    """The context rules stay bounded on 1 MB built from their own literals (a safety bound, not speed)."""
    import time

    text = ADVERSARIAL_CONTEXT[name][:1_000_000]
    start = time.perf_counter()
    GUARD.redact(text)
    assert time.perf_counter() - start < 30.0, name
