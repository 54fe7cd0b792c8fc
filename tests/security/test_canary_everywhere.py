"""Canaries everywhere (issue 14, item 2): a fresh, realistic secret in every string argument of every tool.

Driven by ``tools/list`` of the real stdio server with every tool group enabled: each string slot of each
tool's input schema (nested objects and arrays included) gets its own canaries, one call per canary, with
the other arguments filled from the schema (and a few ids of records made beforehand). Then the database
file, its ``-wal``, every file under the workspace, the server's stderr (DEBUG logging) and every request
the loopback fake provider received are scanned: no canary may appear raw anywhere. Free text is
redacted; identifiers that look like secrets are refused with ``invalid_input`` before anything is written.
"""

from __future__ import annotations

import json
import random
import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.helpers import BIN_DIR, clean_env
from tests.ledger.loopback import loopback_ollama

pytestmark = pytest.mark.anyio
SAFETY_S = 900  # a hang guard for the whole run, not a timing assertion
_ALNUM = string.ascii_letters + string.digits
_rng = random.SystemRandom()


def _pick(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _luhn_card() -> str:
    body = "4" + _pick(string.digits, 14)
    for check in string.digits:
        number = body + check
        total = 0
        for i, ch in enumerate(reversed(number)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return number
    raise AssertionError("unreachable")


CANARY_KINDS: dict[str, Callable[[], str]] = {
    # Upper/mixed case: fits task ids, run ids, scope ids, idempotency keys.
    "aws_access_key": lambda: "AKIA" + _pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    # Lowercase only: fits roles, phases, snake_case and lowercase ids.
    "slack_token": lambda: f"xoxb-{_pick(string.digits, 12)}-{_pick(string.digits, 12)}-"
                           f"{_pick(string.ascii_lowercase + string.digits, 24)}",
    # Digits only: fits anything that starts with a letter or digit.
    "card_number": _luhn_card,
    "github_token": lambda: "ghp_" + _pick(_ALNUM, 36),
    "stripe_key": lambda: "sk_live_" + _pick(_ALNUM, 24),
    "openai_key": lambda: "sk-proj-" + _pick(_ALNUM, 40),
}
PER_SLOT = ("aws_access_key", "slack_token", "card_number")
OPTIONAL_HINTS = ("thread_id",)  # optional arguments filled even when not planted (chat selections need them)


@dataclass
class Slot:
    """Where a string goes: a path of property names and ``[]`` (array item) steps."""

    path: tuple[str, ...]
    schema: dict[str, Any]


@dataclass
class Ledger:
    """Every canary planted, by value: which tool and field it went into, and what came back."""

    planted: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def new(self, kind: str, where: str) -> str:
        value = CANARY_KINDS[kind]()
        assert value not in self.planted
        self.planted[value] = where
        return value


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = {**defs[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        options = [_resolve(o, defs) for o in schema["anyOf"] if o.get("type") != "null"]
        if options:
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return schema


def _slots(schema: dict[str, Any], defs: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[Slot]:
    schema = _resolve(schema, defs)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties")
        if props:
            for name, sub in props.items():
                yield from _slots(sub, defs, (*path, name))
        elif path:  # a free-form object argument (e.g. a result): plant under a made-up key
            yield Slot((*path, "note"), {"type": "string"})
    elif kind == "array":
        yield from _slots(schema.get("items", {}), defs, (*path, "[]"))
    elif kind == "string" and "enum" not in schema and "const" not in schema:
        yield Slot(path, schema)


class Base:
    """Valid arguments from a schema, with a few hints for ids of records that must exist."""

    def __init__(self, defs: dict[str, Any], hints: dict[str, Callable[[], Any]]) -> None:
        self.defs = defs
        self.counter = 0
        self.hints = {**hints, "id": lambda: self.unique("C"), "idempotency_key": lambda: self.unique("idem-key-")}

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}{secrets.token_hex(4)}"

    def hinted(self, name: str, schema: dict[str, Any]) -> Any:
        """The hint for ``name`` when it fits the schema (never for enums), else ``None``."""
        if name not in self.hints or "enum" in schema or "const" in schema:
            return None
        value = self.hints[name]()
        kinds = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float)}
        expected = kinds.get(schema.get("type", ""))
        return value if expected is not None and isinstance(value, expected) else None

    def value(self, name: str, schema: dict[str, Any], *, include: tuple[str, ...] = ()) -> Any:
        schema = _resolve(schema, self.defs)
        hinted = self.hinted(name, schema)
        if hinted is not None and not include:
            return hinted
        if not include and schema.get("default") is not None:
            return schema["default"]
        if "enum" in schema:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if kind == "object":
            props = schema.get("properties", {})
            out = dict(hinted) if isinstance(hinted, dict) else {
                k: self.value(k, props[k]) for k in schema.get("required", []) if k in props}
            if include and include[0] in props:
                out[include[0]] = self.value(include[0], props[include[0]], include=include[1:])
            return out
        if kind == "array":
            return [self.value(name + "[]", schema.get("items", {}), include=include[1:] if include else ())]
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return float(schema.get("minimum", 0))
        if kind == "boolean":
            return False
        return "base1"

    def arguments(self, tool_schema: dict[str, Any], target: tuple[str, ...] = ()) -> dict[str, Any]:
        props = tool_schema.get("properties", {})
        names = list(tool_schema.get("required", []))
        names += [n for n in OPTIONAL_HINTS if n in props and n not in names]
        if target and target[0] not in names:
            names.append(target[0])
        return {n: self.value(n, props[n], include=target[1:] if target and n == target[0] else ())
                for n in names if n in props}


def _set(arguments: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    node: Any = arguments
    for i, step in enumerate(path[:-1]):
        node = node[0] if step == "[]" else node.setdefault(step, [] if path[i + 1] == "[]" else {})
    last = path[-1]
    if last == "[]":
        node[0] = value
    else:
        node[last] = value


def _scan(blob: bytes, planted: dict[str, str]) -> dict[str, str]:
    return {value: where for value, where in planted.items() if value.encode() in blob}


@pytest.mark.sqlite_only
async def test_no_raw_canary_reaches_any_sink(workspace: Path, tmp_path: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "providers": {"defaults": {"provider": "ollama", "model": "llama3.1:8b"}},
        "mcp": {"toolGroups": ["core", "security", "chat", "ledger"]},
    }), encoding="utf-8")
    stderr_path = tmp_path / "server-stderr.log"
    ledger = Ledger()
    with loopback_ollama("ok") as (base_url, script), anyio.fail_after(SAFETY_S):
        env = clean_env(OLLAMA_BASE_URL=base_url, ORCHESTRA_LOG_LEVEL="DEBUG", SERVER_STDERR=str(stderr_path))
        params = StdioServerParameters(
            command="/bin/sh", args=["-c", 'exec "$0" "$@" 2>>"$SERVER_STDERR"', str(BIN_DIR / "orchestra-mcp"),
                                     "--workspace", str(workspace), "--tools", "all"],
            env=env, cwd=str(workspace))
        async with Client(params, mode="legacy") as client:
            wal_seen = await _plant_everything(client, workspace, ledger)
        leaks: dict[str, dict[str, str]] = {}
        for path in sorted(p for p in workspace.rglob("*") if p.is_file()):
            found = _scan(path.read_bytes(), ledger.planted)
            if found:
                leaks[str(path.relative_to(workspace))] = found
        for name, blob in (("server stderr", stderr_path.read_bytes()), ("state.db-wal while serving", wal_seen),
                           ("loopback provider", json.dumps([s.body for s in script.seen]).encode())):
            found = _scan(blob, ledger.planted)
            if found:
                leaks[name] = found
        provider_calls = len(script.seen)
    assert len(ledger.planted) >= 150, "the schema walk found too few string arguments"
    assert not leaks, json.dumps(leaks, indent=1)
    stored = (folder / "state.db").read_bytes()
    assert b"[REDACTED" in stored, "no canary was stored redacted: the calls never reached storage"
    assert provider_calls > 0, "the loopback provider was never called: provider paths went unexercised"
    refused = [w for v, w in ledger.planted.items() if "invalid_input" in ledger.outcomes.get(v, "")]
    for must in ("session_update.agent_id", "chat_export.actor_id", "chat_delete.actor_id",
                 "provider_complete.model", "task_add.id", "spawn_request.run_id", "spawn_request.idempotency_key"):
        assert any(w.startswith(must + " ") for w in refused), f"{must} was not refused with invalid_input"


async def _plant_everything(client: Client, workspace: Path, ledger: Ledger) -> bytes:
    """Make the records the calls need, plant every canary, and return the -wal bytes seen while serving."""
    tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert {"session_update", "chat_export", "provider_complete", "task_add"} <= names
    ok = await client.call_tool("task_add", {"id": "T1", "title": "canary task", "ownership_paths": ["src"],
                                             "owner_role": "developer"})
    assert ok.is_error is False
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("def main() -> None:\n    pass\n", encoding="utf-8")

    async def fresh_session() -> str:
        made = await client.call_tool("spawn_request", {"task_id": "T1", "role": "developer", "runtime": "claude-cli"})
        assert made.is_error is False, made.content
        return str(made.structured_content["session_id"])  # type: ignore[index]

    parent = await fresh_session()
    actor = {"kind": "parent_agent", "actor_id": "parent-1", "runtime": "claude-cli", "session_id": parent}
    thread_id = ""
    if "chat_thread_create" in names:
        made = await client.call_tool("chat_thread_create", {"task_id": "T1", "run_id": "run-1",
                                                             "phase": "implementation", "session_id": parent,
                                                             "title": "canary thread", "actor": actor})
        assert made.is_error is False, made.content
        thread_id = str(made.structured_content["id"])  # type: ignore[index]
    clean = await client.call_tool("provider_complete", {"messages": [{"role": "user", "content": "hello"}],
                                                         "task_id": "T1", "role": "developer"})
    assert clean.is_error is False, clean.content  # the provider path works; canaries must not travel it
    sessions: list[str] = []

    def session_hint() -> str:
        return sessions[-1]

    hints: dict[str, Callable[[], Any]] = {
        "task_id": lambda: "T1", "scope": lambda: "thread", "actor": lambda: dict(actor),
        "thread_id": lambda: thread_id, "session_id": session_hint, "session_ids": lambda: [session_hint()],
        "timeout_s": lambda: 0, "messages": lambda: [{"role": "user", "content": "hello"}],
        "messages[]": lambda: {"role": "user", "content": "hello"},
        "text": lambda: "hello", "title": lambda: "a title", "role": lambda: "developer",
        "actor_role": lambda: "admin", "reason_code": lambda: "user_request", "provider_id": lambda: "ollama",
        "provider": lambda: "ollama", "model": lambda: "llama3.1:8b", "alias": lambda: "default",
        "runtime": lambda: "claude-cli", "sink": lambda: "transcript", "status": lambda: "spawned",
    }
    for tool in tools:
        defs = tool.input_schema.get("$defs", {})
        base = Base(defs, hints)
        for slot in _slots(tool.input_schema, defs):
            for kind in PER_SLOT:
                where = f"{tool.name}.{'.'.join(slot.path)} ({kind})"
                if "session_id" in json.dumps(tool.input_schema.get("properties", {})):
                    sessions.append(await fresh_session())
                arguments = base.arguments(tool.input_schema, slot.path)
                canary = ledger.new(kind, where)
                _set(arguments, slot.path, canary)
                result = await client.call_tool(tool.name, arguments)
                text = " ".join(getattr(c, "text", "") for c in result.content)
                ledger.outcomes[canary] = text[:300] if result.is_error else "ok"
                for sid in [*sessions[-1:], _session_of(result.structured_content)]:
                    if sid:  # free the slot so the 3-session limit never blocks later calls
                        await client.call_tool("session_update", {"session_id": sid, "status": "failed"})
    wal = workspace / ".agent-workflow" / "state.db-wal"
    return wal.read_bytes() if wal.exists() else b""


def _session_of(content: dict[str, Any] | None) -> str | None:
    value = (content or {}).get("session_id")
    return value if isinstance(value, str) else None


def test_canary_generators_are_caught_by_the_guard() -> None:
    """The canaries are real detections (else the scan above would prove nothing about the guard)."""
    from orchestra.security.identifiers import is_sensitive_identifier

    for name, make in CANARY_KINDS.items():
        for _ in range(20):
            assert is_sensitive_identifier(make()), name


def test_plain_identifiers_are_not_refused() -> None:
    from orchestra.security.identifiers import is_sensitive_identifier

    for value in ("T1", "task-2026.01", "run_42", "developer", "claude-cli", "llama3.1:8b", "parent-1",
                  "idem-key-0001", "local", "src/app.py", "gpt-4o-mini", "sess-" + secrets.token_hex(8),
                  "2026-01-01T00:00:00.000Z-" + secrets.token_hex(8), "qwen2.5-coder:7b", "user_request"):
        assert not is_sensitive_identifier(value), value

