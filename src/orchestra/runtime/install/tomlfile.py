"""The ``[mcp_servers.orchestra]`` table in Codex's ``config.toml``, written by hand as a managed region.

The region is delimited by comment markers carrying a content hash, so a re-run is
byte-identical and a hand edit is reported as drift. The result is always validated
with :mod:`tomllib` before anything is written. A table of the same name that we did
not write is never touched (``conflict``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Literal

START = "# >>> orchestra managed: mcp server"
END = "# <<< orchestra managed: mcp server"


Outcome = Literal["created", "updated", "unchanged", "drift", "conflict", "corrupt"]


@dataclass(frozen=True)
class TomlResult:
    text: str
    outcome: Outcome
    note: str | None = None


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=True)


def render_table(command: str, args: list[str]) -> str:
    body = (f"[mcp_servers.orchestra]\ncommand = {toml_string(command)}\n"
            f"args = [{', '.join(toml_string(a) for a in args)}]\n")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return f"{START} (content-sha256={digest}; edits inside are reported as drift)\n{body}{END}\n"


def upsert_server_table(text: str, command: str, args: list[str], *, force: bool = False) -> TomlResult:
    """Insert or refresh our table in ``text`` (the current config.toml, possibly empty)."""
    try:
        current = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return TomlResult(text, "corrupt", f"invalid TOML: {exc}")
    block = render_table(command, args)
    match = re.search(re.escape(START) + r"[^\n]*\n(.*?)" + re.escape(END) + r"\n?", text, flags=re.DOTALL)
    if match is None:
        if isinstance(current.get("mcp_servers"), dict) and "orchestra" in current["mcp_servers"]:
            return TomlResult(text, "conflict", "config.toml already defines [mcp_servers.orchestra] by hand; "
                                                "left as is")
        separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        new_text = text + separator + block
        outcome_typed: Outcome = "created"
    else:
        stored = re.search(r"content-sha256=([0-9a-f]{64})", match.group(0))
        actual = hashlib.sha256(match.group(1).encode("utf-8")).hexdigest()
        if (stored is None or stored.group(1) != actual) and not force:
            return TomlResult(text, "drift", "the managed [mcp_servers.orchestra] table was edited by hand; "
                                             "rerun with --force to replace it")
        if match.group(0).rstrip("\n") == block.rstrip("\n"):
            return TomlResult(text, "unchanged")
        new_text = text[:match.start()] + block + text[match.end():]
        outcome_typed = "updated"
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        return TomlResult(text, "conflict", f"merging would produce invalid TOML ({exc}); left as is")
    if parsed.get("mcp_servers", {}).get("orchestra", {}).get("command") != command:
        return TomlResult(text, "conflict", "merging would not define the server cleanly; left as is")
    return TomlResult(new_text, outcome_typed)
