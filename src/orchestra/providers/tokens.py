"""Token estimates when a provider reports no usage (about four characters per token)."""

from __future__ import annotations

from collections.abc import Iterable


def estimate_tokens(text: str) -> int:
    """``ceil(len / 4)``: a rough, deterministic estimate, marked ``estimated`` wherever it is used."""
    return (len(text) + 3) // 4


def estimate_messages(contents: Iterable[str]) -> int:
    """Sum of :func:`estimate_tokens` over message contents."""
    return sum(estimate_tokens(c) for c in contents)
