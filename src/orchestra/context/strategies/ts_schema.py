"""Schema extraction for TypeScript/JavaScript: imports and exported declarations.

Braces are counted by a small scanner that skips strings, template literals and
comments (the original counted braces inside strings). Type-like declarations
(interface, type, enum) are kept whole; functions, classes and values keep their
header, and classes their member signatures, with bodies collapsed.
"""

from __future__ import annotations

import re

STARTER = re.compile(
    r"^\s*(?:import\s|export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:interface|type|class|enum|function\*?|const|let|var|namespace)\b|export\s*\{|export\s+\*)"
)
TYPE_LIKE = re.compile(r"^\s*export\s+(?:declare\s+)?(?:interface|type|enum)\b")
CLASS_LIKE = re.compile(r"^\s*export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?class\b")


class BraceScanner:
    """Tracks brace depth across lines, ignoring braces in strings and comments."""

    def __init__(self) -> None:
        self.depth = 0
        self._in_block_comment = False
        self._in_template = False

    def feed(self, line: str) -> None:
        """Advance over one line."""
        i, n = 0, len(line)
        quote: str | None = None
        while i < n:
            ch = line[i]
            nxt = line[i + 1] if i + 1 < n else ""
            if self._in_block_comment:
                if ch == "*" and nxt == "/":
                    self._in_block_comment = False
                    i += 1
            elif self._in_template:
                if ch == "\\":
                    i += 1
                elif ch == "`":
                    self._in_template = False
            elif quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = None
            elif ch == "/" and nxt == "/":
                break
            elif ch == "/" and nxt == "*":
                self._in_block_comment = True
                i += 1
            elif ch in "'\"":
                quote = ch
            elif ch == "`":
                self._in_template = True
            elif ch == "{":
                self.depth += 1
            elif ch == "}":
                self.depth -= 1
            i += 1


def ts_schema(lines: list[str], max_lines: int) -> list[str] | None:
    """Imports and exported declarations, bounded by ``max_lines``; None when there are none."""
    out: list[str] = []
    scanner = BraceScanner()
    mode: str | None = None  # "whole", "class", "collapse"
    start_depth = 0
    for line in lines:
        before = scanner.depth
        scanner.feed(line)
        after = scanner.depth
        if mode is None:
            if before != 0 or not STARTER.match(line):
                continue
            out.append(line.rstrip())
            if after > before:
                mode = "whole" if TYPE_LIKE.match(line) else "class" if CLASS_LIKE.match(line) else "collapse"
                start_depth = before
        elif mode == "whole":
            out.append(line.rstrip())
        elif mode == "class" and before == start_depth + 1 and line.strip() and not line.strip().startswith("}"):
            out.append(_member_signature(line))
        if mode is not None and after <= start_depth:
            if mode != "whole" and out and out[-1] != line.rstrip():
                out.append(" " * (len(line) - len(line.lstrip())) + "}")
            mode = None
        if len(out) > max_lines:
            return [*out[: max_lines - 1], f"// ... declarations truncated at {max_lines} lines"] if max_lines > 1 \
                else out[:1]
    return out or None


def _member_signature(line: str) -> str:
    stripped = line.rstrip()
    if stripped.endswith("{"):
        return stripped[:-1].rstrip() + " { ... }"
    return stripped
