"""Which sources go in when they do not all fit: relevance to the task, then a PageRank.

Like Aider's repository map: files are nodes, an edge A → B is weighted by how many names
A uses that B defines (names defined in many files, and private names, count less;
names the task mentions count more). The random walk restarts at the files that match the
task (their defined names and path against the task's terms), so files close to those in
the reference graph rank next. Ties keep the given order: the ranking is deterministic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from orchestra.context.strategies.markdown_sections import Term, normalise

DAMPING = 0.85
ITERATIONS = 30
TOLERANCE = 1e-9
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class RankInput:
    """One candidate: its path, the names it defines and the identifiers it uses."""

    path: str
    names: Sequence[str]
    references: frozenset[bytes]


@dataclass(frozen=True)
class Ranked:
    """A candidate's place: its index in the input, relevance to the task and PageRank."""

    index: int
    relevance: int
    pagerank: float


@lru_cache(maxsize=1 << 16)
def name_words(name: str) -> str:
    """``parseConfig``/``parse_config``/``ParseConfig`` → ``parse config``."""
    return normalise(_CAMEL.sub(" ", name).replace("_", " "))


def relevance(candidate: RankInput, terms: Sequence[Term]) -> int:
    """Sum of term weights matched by the candidate's defined names (×2) and path (×1)."""
    if not terms:
        return 0
    names = " | ".join(name_words(n) for n in candidate.names)
    defined = f" {names} "
    path = f" {normalise(candidate.path)} {name_words(candidate.path)} "
    score = 0
    for term in terms:
        needle = f" {term.text} "
        if needle in defined:
            score += 2 * term.weight
        if needle in path:
            score += term.weight
    return score


def rank(candidates: Sequence[RankInput], terms: Sequence[Term]) -> list[Ranked]:
    """Candidates best first: by relevance, then PageRank, then given order."""
    n = len(candidates)
    if n == 0:
        return []
    scores = [relevance(c, terms) for c in candidates]
    term_words = {t.text for t in terms}
    definers: dict[bytes, list[int]] = defaultdict(list)
    factor: dict[bytes, float] = {}
    owned: list[set[bytes]] = []
    for index, candidate in enumerate(candidates):
        own: set[bytes] = set()
        for name in dict.fromkeys(candidate.names):
            ident = name.encode()
            own.add(ident)
            definers[ident].append(index)
            factor[ident] = (0.1 if name.startswith("_") else 1.0) * (10.0 if name_words(name) in term_words else 1.0)
        owned.append(own)
    # what one use of a name is worth: shared among the files defining it, less for widely defined names
    worth = {ident: factor[ident] / len(targets) * (0.1 if len(targets) > 5 else 1.0)
             for ident, targets in definers.items()}
    edges: list[dict[int, float]] = [{} for _ in range(n)]
    defined = set(worth)
    for source, candidate in enumerate(candidates):
        out = edges[source]
        for ref in sorted(defined.intersection(candidate.references) - owned[source]):  # sorted: the same float sums
            weight = worth[ref]
            for target in definers[ref]:
                if target != source:
                    out[target] = out.get(target, 0.0) + weight
    ranks = _pagerank(edges, scores)
    order = sorted(range(n), key=lambda i: (-scores[i], -round(ranks[i], 12), i))
    return [Ranked(i, scores[i], ranks[i]) for i in order]


def _pagerank(edges: list[dict[int, float]], scores: list[int]) -> list[float]:
    n = len(edges)
    total = sum(scores)
    personal = [s / total for s in scores] if total else [1.0 / n] * n
    rank = list(personal)
    out = [sum(e.values()) for e in edges]
    linked = [(i, list(edges[i].items()), out[i]) for i in range(n) if out[i]]
    sinks = [i for i in range(n) if not out[i]]
    for _ in range(ITERATIONS):
        dangling = DAMPING * sum(rank[i] for i in sinks)
        nxt = [((1 - DAMPING) + dangling) * p for p in personal]
        for i, targets, weight in linked:
            share = DAMPING * rank[i] / weight
            for j, w in targets:
                nxt[j] += share * w
        delta = sum(abs(a - b) for a, b in zip(nxt, rank, strict=True))
        rank = nxt
        if delta < TOLERANCE:
            break
    return rank
