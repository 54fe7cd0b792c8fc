"""Head/tail truncation with an omission marker (the original's shape)."""

from __future__ import annotations

HEAD_LINES = 24
TAIL_LINES = 24


def omission_marker(count: int) -> str:
    """The marker line that stands for omitted lines."""
    return f"[... omitted {count} lines; full source path available ...]"


def head_tail(
    lines: list[str], max_lines: int, total_lines: int | None = None, tail: list[str] | None = None
) -> list[str]:
    """First and last lines with a marker between; ``tail`` supplies the end of a streamed file."""
    total = len(lines) if total_lines is None else total_lines
    if max_lines <= 0:
        return []
    if max_lines <= 2:
        return lines[:max_lines]
    head_n = min(HEAD_LINES, (max_lines - 1) // 2)
    tail_n = min(TAIL_LINES, max_lines - head_n - 1)
    ending = (tail if tail is not None else lines)[-tail_n:] if tail_n else []
    return [*lines[:head_n], omission_marker(total - head_n - len(ending)), *ending]
