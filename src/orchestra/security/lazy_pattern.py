"""Rule patterns compiled on first use, so ``import orchestra.security`` does not compile ~130 regexes.

A one-shot process (a pre-tool-use hook guarding one short text) only ever compiles the patterns of the
rules its text can trigger. ``pattern`` and ``flags`` are known without compiling (the RE2 prefilter
translates from them); any other attribute (``search``, ``match``, ``finditer``, ``groupindex``, …)
compiles once and delegates to the real :class:`re.Pattern`.
"""

from __future__ import annotations

import re
from typing import Any, cast


class LazyPattern:
    """A stand-in for ``re.compile(pattern, flags)`` that compiles when first used."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags if flags & re.ASCII else flags | re.UNICODE
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        """The real pattern (compiled now if it was not yet)."""
        found = self._compiled
        if found is None:
            found = self._compiled = re.compile(self.pattern, self.flags)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` deferred to first use (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))


def real_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The compiled pattern behind ``pattern`` (itself when it is a real one): for hot loops."""
    candidate: Any = pattern  # typed as re.Pattern where it is declared
    if type(candidate) is LazyPattern:
        return candidate.compiled()
    return pattern
