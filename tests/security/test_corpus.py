"""Labeled corpus: every rule has positives; per-category precision/recall stays above the bar."""

from __future__ import annotations

import pytest

from orchestra.security import ALL_RULES, SecurityGuard
from tests.security.helpers import load_corpus, precision_recall

MIN_RECALL = 0.98
MIN_PRECISION = 0.97


@pytest.fixture(scope="module")
def guard() -> SecurityGuard:
    return SecurityGuard(b"corpus-test-key-0123456789")


def test_every_rule_has_a_labeled_positive() -> None:
    labeled = {e.get("rule_id") for s in load_corpus() for e in s.expected}
    missing = {r.rule_id for r in ALL_RULES} - labeled
    assert not missing, f"rules without corpus positives: {sorted(missing)}"


def test_corpus_has_hard_negatives_and_every_context() -> None:
    samples = load_corpus()
    assert sum(1 for s in samples if not s.expected) >= 60
    kinds = {s.context_kind for s in samples}
    assert {"env", "yaml", "json", "log", "chat", "shell", "code"} <= kinds


@pytest.mark.parametrize("seed", [1, 2, 3, 1234])
def test_precision_and_recall_per_category(guard: SecurityGuard, seed: int) -> None:
    scores, mistakes = precision_recall(load_corpus(seed), guard)
    low = {
        cat: (round(s.precision, 3), round(s.recall, 3))
        for cat, s in scores.items()
        if s.precision < MIN_PRECISION or s.recall < MIN_RECALL
    }
    assert not low, f"below bar: {low}; mistakes: {[(m[0], m[2], m[3]) for m in mistakes]}"


def test_expected_rule_ids_fire(guard: SecurityGuard) -> None:
    misses = []
    for sample in load_corpus():
        found = {f.rule_id for f in guard.scan(sample.text)}
        for exp in sample.expected:
            if exp.get("rule_id") and exp["rule_id"] not in found:
                misses.append((sample.source, exp["rule_id"], sorted(found)))
    assert not misses


def test_precision_recall_function_counts_mistakes(guard: SecurityGuard) -> None:
    from tests.security.helpers import Sample

    samples = [
        Sample("password=Xk9#mQ2vLp", "env", [{"category": "password"}], "t:1"),
        Sample("nothing here", "chat", [{"category": "secret"}], "t:2"),
        Sample("mail jane.doe@acme-corp.com", "chat", [], "t:3"),
    ]
    scores, mistakes = precision_recall(samples, guard)
    assert scores["password"].recall == 1.0
    assert scores["secret"].recall == 0.0
    assert scores["contact_pii"].precision == 0.0
    assert len(mistakes) == 2
