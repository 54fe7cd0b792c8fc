"""Control characters: stripped from free text on input, escaped in terminal output.

NUL, C0/C1 controls, DEL, whole ANSI escape sequences and bidirectional overrides can
rewrite a terminal or hide text; a stored title or goal never carries them.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_AND_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """``text`` without escape sequences and control characters (``multiline`` keeps newlines and tabs)."""
    text = _ANSI.sub("", text)
    if multiline:
        return _CONTROLS.sub("", text.replace("\r\n", "\n"))
    return _CONTROLS_AND_BREAKS.sub(lambda m: " " if m.group() in "\t\n\r\u2028\u2029" else "", text)


def strip_line(value: str) -> str:
    """A pydantic-friendly single-line variant of :func:`strip_controls`."""
    return strip_controls(value) if isinstance(value, str) else value


def strip_text(value: str) -> str:
    """A pydantic-friendly multi-line variant of :func:`strip_controls`."""
    return strip_controls(value, multiline=True) if isinstance(value, str) else value


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``), for printing."""
    return _TERMINAL_UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def json_terminal_safe(text: str) -> str:
    """JSON text with the control characters ``json.dumps`` leaves raw (C1, DEL, bidi) as ``\\uXXXX``."""
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
