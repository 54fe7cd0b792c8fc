"""Editing a JSON or JSONC file in place: only the members Orchestra owns change, the rest stays byte for byte.

The scanner understands ``//`` and ``/* */`` comments and trailing commas (VS Code's JSONC) and
finds the span of each member of an object. :func:`patch` turns the difference between the
parsed document and the merged one into text edits at the first two levels (a new member is
inserted before the object's closing brace, a changed member's value is replaced), so comments,
key order, indentation and line endings outside those members are kept.
"""

from __future__ import annotations

import json
from typing import Any

_WS = " \t\r\n"


class JsoncError(ValueError):
    """The text is not an object this scanner can edit."""


def _skip(text: str, i: int) -> int:
    """Past whitespace and comments."""
    n = len(text)
    while i < n:
        if text[i] in _WS:
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise JsoncError("unterminated comment")
            i = end + 2
        else:
            break
    return i


def _string_end(text: str, i: int) -> int:
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == '"':
            return j + 1
        j += 1
    raise JsoncError("unterminated string")


def _value_end(text: str, i: int) -> int:
    """The index just past the value starting at ``i``."""
    if i >= len(text):
        raise JsoncError("missing value")
    ch = text[i]
    if ch == '"':
        return _string_end(text, i)
    if ch in "{[":
        close = "}" if ch == "{" else "]"
        j = _skip(text, i + 1)
        while j < len(text) and text[j] != close:
            if ch == "{":
                j = _skip(text, _string_end(text, j))
                if j >= len(text) or text[j] != ":":
                    raise JsoncError("expected ':'")
                j = _skip(text, j + 1)
            j = _skip(text, _value_end(text, j))
            if j < len(text) and text[j] == ",":
                j = _skip(text, j + 1)
        if j >= len(text):
            raise JsoncError(f"unterminated {'object' if ch == '{' else 'array'}")
        return j + 1
    j = i
    while j < len(text) and text[j] not in _WS + ",]}/":
        j += 1
    if j == i:
        raise JsoncError(f"unexpected character {ch!r}")
    return j


def members(text: str, start: int) -> tuple[dict[str, tuple[int, int]], int, int | None]:
    """For the object whose ``{`` is at ``start``: ``{key: (value start, value end)}``, the index of its
    ``}``, and the end of its last member's value (``None`` when empty)."""
    out: dict[str, tuple[int, int]] = {}
    last: int | None = None
    j = _skip(text, start + 1)
    while j < len(text) and text[j] != "}":
        key_end = _string_end(text, j)
        key = json.loads(text[j:key_end])
        j = _skip(text, key_end)
        if j >= len(text) or text[j] != ":":
            raise JsoncError("expected ':'")
        value_start = _skip(text, j + 1)
        value_end = _value_end(text, value_start)
        out[key] = (value_start, value_end)
        last = value_end
        j = _skip(text, value_end)
        if j < len(text) and text[j] == ",":
            j = _skip(text, j + 1)
    if j >= len(text):
        raise JsoncError("unterminated object")
    return out, j, last


def _indent_unit(text: str) -> str:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def _render(value: Any, unit: str, level: int, newline: str) -> str:
    rendered = json.dumps(value, indent=unit if unit else None, ensure_ascii=False)
    return rendered.replace("\n", newline + unit * level)


def patch(text: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """``text`` (whose parsed form is ``old``) edited so that it parses to ``new``."""
    newline = "\r\n" if "\r\n" in text else "\n"
    unit = _indent_unit(text)
    top = _skip(text, 0)
    if top >= len(text) or text[top] != "{":
        raise JsoncError("top level is not an object")
    edits: list[tuple[int, int, str]] = []
    _diff(text, top, old, new, unit, 1, newline, edits, depth=0)
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _diff(text: str, start: int, old: dict[str, Any], new: dict[str, Any], unit: str, level: int, newline: str,
          edits: list[tuple[int, int, str]], depth: int) -> None:
    spans, close, last = members(text, start)
    if any(key not in new for key in old):
        raise JsoncError("a member was removed")
    inserts: list[str] = []
    for key, value in new.items():
        if key in old and old[key] == value:
            continue
        if key in old:
            value_start, value_end = spans[key]
            if depth == 0 and isinstance(value, dict) and isinstance(old[key], dict) \
                    and text[value_start] == "{":
                _diff(text, value_start, old[key], value, unit, level + 1, newline, edits, depth + 1)
            else:
                edits.append((value_start, value_end, _render(value, unit, level, newline)))
        else:
            inserts.append(f"{json.dumps(key, ensure_ascii=False)}: {_render(value, unit, level, newline)}")
    if not inserts:
        return
    pad = newline + unit * level
    body = ("," + pad).join(inserts)
    if last is None:
        edits.append((start + 1, close, pad + body + newline + unit * (level - 1)))
    else:
        edits.append((last, last, "," + pad + body))
