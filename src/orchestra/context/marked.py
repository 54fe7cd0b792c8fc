"""Text built line by line, where each line is marked as still to be guarded or already guarded.

A child prompt embeds the context bundle, whose file contents passed the prompt guard when the
bundle was built. Guarding the whole prompt again scans them a second time; a :class:`MarkedText`
lets the caller guard only the lines not guarded yet, in one call, and fall back to guarding the
whole text when that call changes or withholds anything (see
:func:`orchestra.delegation.prompt.guard_prompt`).
"""

from __future__ import annotations


class MarkedText:
    """Lines joined by ``\\n``; each is ``check`` (to be guarded) or ``guarded`` (passed already)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, bool]] = []

    def check(self, *lines: str) -> MarkedText:
        """Append lines that must still pass the guard."""
        self.lines.extend((line, False) for line in lines)
        return self

    def guarded(self, *lines: str) -> MarkedText:
        """Append lines that already passed the guard (or are fixed text made only of values checked
        elsewhere in the same text)."""
        self.lines.extend((line, True) for line in lines)
        return self

    def extend(self, other: MarkedText) -> MarkedText:
        """Append every line of ``other`` with its mark."""
        self.lines.extend(other.lines)
        return self

    def strip_end(self) -> MarkedText:
        """Drop trailing blank lines and trailing whitespace of the last line (like ``str.rstrip``)."""
        while self.lines and not self.lines[-1][0].strip():
            self.lines.pop()
        if self.lines:
            line, mark = self.lines[-1]
            self.lines[-1] = (line.rstrip(), mark)
        return self

    def text(self) -> str:
        """The whole text."""
        return "\n".join(line for line, _ in self.lines)

    def unguarded(self) -> str:
        """The lines still to be guarded, in order, joined by ``\\n``."""
        return "\n".join(line for line, done in self.lines if not done)
