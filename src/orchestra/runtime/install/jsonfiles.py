"""Reading a host's JSON config and merging our entries into it without losing anything.

A file is ``missing``, ``ok`` (a JSON object), ``commented`` (JSONC: valid once comments
and trailing commas are removed; edited in place, comments kept) or ``corrupt`` (invalid;
it is backed up before being replaced). An entry of ours that was edited by hand is
*drift*: kept as it is (and reported) unless ``--force``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from orchestra.runtime.install.commands import hook_kind

MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass
class MergeContext:
    """What one file's merges share: whether hand edits are overwritten, and the ones found."""

    force: bool = False
    drift: list[str] = field(default_factory=list)

    def keep(self, where: str, current: dict[str, Any], ours: dict[str, Any]) -> bool:
        """Whether ``current`` (an entry of ours) was edited by hand and must be kept."""
        edited = sorted(k for k in ours if k in current and current[k] != ours[k])
        if not edited:
            return False
        self.drift.append(f"{where}: {', '.join(edited)} edited by hand")
        return not self.force


@dataclass
class JsonFile:
    """What was on disk."""

    state: Literal["missing", "ok", "commented", "corrupt"]
    raw: bytes = b""
    data: dict[str, Any] | None = None
    problem: str | None = None


def read_json_object(path: Path) -> JsonFile:
    """Read and classify ``path``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return JsonFile("missing")
    if len(raw) > MAX_CONFIG_BYTES:
        return JsonFile("corrupt", raw, problem="file is larger than 4 MiB")
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError:
        return JsonFile("corrupt", raw, problem="not UTF-8")
    except json.JSONDecodeError as exc:
        parsed = _parse_jsonc(text)
        if parsed is not None:
            return JsonFile("commented", raw, parsed, problem="JSONC (comments or trailing commas)")
        return JsonFile("corrupt", raw, problem=f"invalid JSON at line {exc.lineno}, column {exc.colno}")
    if not isinstance(data, dict):
        return JsonFile("corrupt", raw, problem="top level is not a JSON object")
    return JsonFile("ok", raw, data)


def dump_json(data: dict[str, Any]) -> bytes:
    """Two-space indent, UTF-8, trailing newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def merge_server(data: dict[str, Any], key: str, name: str, entry: dict[str, Any],
                 ctx: MergeContext | None = None) -> dict[str, Any] | str:
    """Set ``data[key][name]``: our fields win (unless edited by hand), the user's extra fields (env, …)
    stay. A string is a conflict."""
    out = copy.deepcopy(data)
    servers = out.setdefault(key, {})
    if not isinstance(servers, dict):
        return f"'{key}' is not a JSON object"
    current = servers.get(name)
    merged = dict(current) if isinstance(current, dict) else {}
    if isinstance(current, dict) and ctx is not None and ctx.keep(f"{key}.{name}", current, entry):
        return out
    merged.update(entry)
    servers[name] = merged
    return out


def merge_grouped_hooks(data: dict[str, Any], event: str, matcher: str | None,
                        hook: dict[str, Any], ctx: MergeContext | None = None) -> dict[str, Any] | str:
    """Claude/Codex shape ``hooks.<Event>[].hooks[]``: replace our hook in place, else append a group."""
    out = copy.deepcopy(data)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        return "'hooks' is not a JSON object"
    groups = hooks.setdefault(event, [])
    if not isinstance(groups, list):
        return f"'hooks.{event}' is not a list"
    kind = hook_kind(hook.get("command"))
    for group in groups:
        items = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, dict) and _same_kind(item.get("command"), kind):
                if ctx is None or not ctx.keep(f"hooks.{event}", item, hook):
                    items[index] = {**item, **hook}
                return out
    group_entry: dict[str, Any] = {} if matcher is None else {"matcher": matcher}
    group_entry["hooks"] = [hook]
    groups.append(group_entry)
    return out


def merge_flat_hooks(data: dict[str, Any], event: str, hook: dict[str, Any],
                     ctx: MergeContext | None = None) -> dict[str, Any] | str:
    """Cursor shape ``{"version": 1, "hooks": {"<event>": [{"command": …}]}}``."""
    out = copy.deepcopy(data)
    out.setdefault("version", 1)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        return "'hooks' is not a JSON object"
    items = hooks.setdefault(event, [])
    if not isinstance(items, list):
        return f"'hooks.{event}' is not a list"
    kind = hook_kind(hook.get("command"))
    for index, item in enumerate(items):
        if isinstance(item, dict) and _same_kind(item.get("command"), kind):
            if ctx is None or not ctx.keep(f"hooks.{event}", item, hook):
                items[index] = {**item, **hook}
            return out
    items.append(hook)
    return out


def _same_kind(command: object, kind: str | None) -> bool:
    """Whether ``command`` is our hook of the same kind (the guard and the lifecycle hook share ``PreToolUse``)."""
    found = hook_kind(command)
    return found is not None and (found == kind or kind is None)


def _parse_jsonc(text: str) -> dict[str, Any] | None:
    stripped = strip_jsonc(text)
    if stripped == text:
        return None
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def strip_jsonc(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments outside strings, then trailing commas."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(ch)
        i += 1
    import re

    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))
