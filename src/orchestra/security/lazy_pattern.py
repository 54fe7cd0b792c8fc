"""Rule patterns compiled on first use, so ``import orchestra.security`` does not compile ~200 regexes.

A one-shot process (a pre-tool-use hook guarding one short text) only ever compiles the patterns of the
rules its text can trigger. ``pattern`` and ``flags`` are known without compiling (the RE2 prefilter
translates from them; ``flags`` are the flags given, inline flags stay in ``pattern``); any other public
attribute (``search``, ``match``, ``finditer``, ``groupindex``, …) compiles once and delegates to the real
:class:`re.Pattern`. A syntax error surfaces at first use, so every rule pattern is compiled in the tests.
"""

from __future__ import annotations

import re
from typing import Any, cast


class LazyPattern:
    """A stand-in for ``re.compile(pattern, flags)`` that compiles when first used (thread-safe: a race
    compiles twice and keeps one; ``re`` patterns are immutable)."""

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

    @property
    def is_compiled(self) -> bool:
        """Whether the real pattern exists yet."""
        return self._compiled is not None

    def __getattr__(self, name: str) -> Any:
        # only public names delegate: private and dunder look-ups (copy, pickle, an unset slot) must not
        # compile or recurse
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyPattern):
            return (self.pattern, self.flags) == (other.pattern, other.flags)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str, int]]:
        return (LazyPattern, (self.pattern, self.flags))

    def __copy__(self) -> LazyPattern:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyPattern:
        return self

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` deferred to first use (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))


def real_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The compiled pattern behind ``pattern`` (itself when it is a real one): for hot loops and for ``re``
    module functions, which accept only real patterns."""
    candidate: Any = pattern  # typed as re.Pattern where it is declared
    if type(candidate) is LazyPattern:
        return candidate.compiled()
    return pattern
