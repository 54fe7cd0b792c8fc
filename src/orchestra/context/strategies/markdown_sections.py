"""Relevant-section extraction for Markdown: sections ranked by the task's terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^#{1,6}\s+")
NON_ALNUM = re.compile(r"[^a-z0-9]+")
LINES_PER_SECTION = 12
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "should",
        "must",
        "can",
        "all",
        "any",
        "each",
        "into",
        "not",
        "when",
        "then",
        "than",
    ]
)


@dataclass(frozen=True)
class Term:
    """A normalised search term and its weight."""

    text: str
    weight: int


def normalise(text: str) -> str:
    """Lowercase, non-alphanumerics to single spaces."""
    return NON_ALNUM.sub(" ", text.lower()).strip()


def build_terms(weighted: list[tuple[str, int]]) -> list[Term]:
    """Whole phrases at their weight plus their significant words at weight 1."""
    terms: dict[str, int] = {}
    for raw, weight in weighted:
        phrase = normalise(raw)
        if not phrase:
            continue
        terms[phrase] = max(terms.get(phrase, 0), weight)
        for word in phrase.split():
            if len(word) >= 3 and word not in STOP_WORDS:
                terms[word] = max(terms.get(word, 0), 1)
    return [Term(text, weight) for text, weight in sorted(terms.items())]


def sections_of(lines: list[str]) -> list[list[str]]:
    """Split at headings; a preamble before the first heading is its own section."""
    sections: list[list[str]] = []
    for line in lines:
        if HEADING.match(line) or not sections:
            sections.append([line])
        else:
            sections[-1].append(line)
    return sections


def markdown_sections(lines: list[str], max_lines: int, terms: list[Term]) -> list[str] | None:
    """The most relevant sections (document order kept), each cut to 12 lines, within ``max_lines``."""
    sections = [s for s in sections_of(lines) if any(line.strip() for line in s)]
    if not sections:
        return None
    scored = [(_score(section, terms), index) for index, section in enumerate(sections)]
    relevant = [index for score, index in scored if score > 0]
    ranked = sorted(relevant, key=lambda i: (-scored[i][0], i)) if relevant else list(range(len(sections)))
    per_section = min(LINES_PER_SECTION, max_lines)
    chosen: list[int] = []
    used = 0
    for index in ranked:
        size = min(per_section, len(sections[index]))
        if used + size > max_lines and chosen:
            continue
        chosen.append(index)
        used += size
        if used >= max_lines:
            break
    out: list[str] = []
    for index in sorted(chosen):
        out.extend(_trim_blank_tail(sections[index][:per_section]))
    return out[:max_lines] or None


def _score(section: list[str], terms: list[Term]) -> int:
    text = f" {normalise(' '.join(section))} "
    heading = f" {normalise(section[0])} "
    score = 0
    for term in terms:
        needle = f" {term.text} "
        if needle in text:
            score += term.weight * (3 if needle in heading else 1)
    return score


def _trim_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines
