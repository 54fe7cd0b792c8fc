"""``orchestra hook <event>``: a host's sub-agent hook reports a delegated child's lifecycle.

The host runs this on its own events (Claude Code ``PreToolUse``/``PostToolUse`` on the
``Agent``/``Task`` tool and ``SubagentStop``; Cursor ``subagentStart``/``subagentStop``;
Codex ``PreToolUse``/``PostToolUse`` on ``spawn_agent`` and ``SubagentStart``/``SubagentStop``).
The child prompt carries ``Session id: <id>``, which links the host's sub-agent to an
Orchestra session:

* a start records ``spawned`` straight into SQLite (one ``BEGIN IMMEDIATE`` transaction:
  session row, transition, audit event through :func:`orchestra.events.chain.append_chained`,
  capacity lease deadline);
* a stop records the child's final message as a *pending handoff* file. The guard and the
  return-contract check are not cheap to import, so the next sweep (any delegation tool,
  ``orchestra session …``) validates it through the full core and records ``completed`` or
  ``failed`` (which frees the slot and promotes a queued request). Raw text never reaches
  the database unguarded.

Standard library only; exits 0 and prints only what the host accepts (Cursor gets ``{}``,
Claude Code and Codex nothing); silent when the folder has no initialized Orchestra
workspace, and never creates one. Repeated and reordered events change nothing twice.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any, BinaryIO

WORKFLOW_DIR = ".agent-workflow"
DB_NAME = "state.db"
PENDING_DIR = "runtime-sessions/pending"
"""Pending handoffs, relative to ``.agent-workflow/`` (git-ignored with ``runtime-sessions/``)."""
INPUT_LIMIT = 4 * 1024 * 1024
MESSAGE_LIMIT = 256 * 1024
TRANSCRIPT_HEAD = 256 * 1024
READ_SECONDS = 2.0
DEFAULT_STALE_TTL_MS = 1_800_000
SPAWNED_EVENT = "RUNTIME_DELEGATION_SESSION_SPAWNED"
START_EVENTS = frozenset({"SubagentStart", "subagentStart"})
STOP_EVENTS = frozenset({"SubagentStop", "subagentStop"})
PRE_TOOL = frozenset({"PreToolUse", "preToolUse"})
POST_TOOL = frozenset({"PostToolUse", "postToolUse"})
SYNC_SPAWN_TOOLS = frozenset({"Agent", "Task"})
"""Tools that return when the child has finished (unless run in the background)."""
ASYNC_SPAWN_TOOLS = frozenset({"spawn_agent"})
"""Tools that return as soon as the child has started."""
CURSOR_EVENTS = frozenset({"subagentStart", "subagentStop", "preToolUse", "postToolUse"})
LIVE = ("requested", "spawned", "active", "suspended", "queued")
_SESSION_LINE = r"session[ _]id\W{0,4}\s*[:=]\s*[`\"']?([A-Za-z0-9][A-Za-z0-9._:-]{2,299})"
SPAWN_TOOL_NAMES = (b'"Agent"', b'"Task"', b'"spawn_agent"')
_OUTPUT_KEYS = ("last_assistant_message", "tool_response", "summary", "result", "output", "result_json")


class HookEvent:
    """What one hook call means for a delegated session."""

    __slots__ = ("agent_id", "event", "kind", "message", "payload", "runtime", "status")

    def __init__(self, event: str, kind: str, payload: dict[str, Any], runtime: str | None) -> None:
        self.event = event
        self.kind = kind
        """``start``, ``stop`` or ``ignore``."""
        self.payload = payload
        self.runtime = runtime
        self.agent_id = _agent_id(payload)
        self.message = _final_message(payload) if kind == "stop" else None
        status = payload.get("status")
        self.status = status if isinstance(status, str) else None
        """Cursor's ``subagentStop`` status (``completed``, ``error``, ``aborted``)."""


def classify(event: str, payload: dict[str, Any], runtime: str | None = None) -> HookEvent:
    """Decide whether ``event`` starts or stops a child (tool events only for the spawn tools)."""
    if event in START_EVENTS:
        return HookEvent(event, "start", payload, runtime)
    if event in STOP_EVENTS:
        return HookEvent(event, "stop", payload, runtime)
    tool = payload.get("tool_name")
    tool_input = _as_object(payload.get("tool_input"))
    background = bool(tool_input.get("run_in_background")) if tool_input else False
    if event in PRE_TOOL and tool in SYNC_SPAWN_TOOLS | ASYNC_SPAWN_TOOLS:
        return HookEvent(event, "start", payload, runtime)
    if event in POST_TOOL and tool in ASYNC_SPAWN_TOOLS | SYNC_SPAWN_TOOLS:
        return HookEvent(event, "start" if tool in ASYNC_SPAWN_TOOLS or background else "stop", payload, runtime)
    return HookEvent(event, "ignore", payload, runtime)


def session_candidates(payload: Mapping[str, Any]) -> list[str]:
    """Session ids named in the payload, prompt fields first, outputs last (order kept, no repeats)."""
    first: list[str] = []
    last: list[str] = []
    for key, value in payload.items():
        bucket = last if key in _OUTPUT_KEYS else first
        for text in _strings(value):
            bucket.extend(_ids_in(text))
    return list(dict.fromkeys(first + last))


def transcript_candidates(payload: Mapping[str, Any], root: str) -> list[str]:
    """Session ids in the head of the child's transcript (its first message is the child prompt)."""
    out: list[str] = []
    for key in ("agent_transcript_path", "subagent_transcript_path"):
        path = payload.get(key)
        if not isinstance(path, str) or not os.path.isabs(path):
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(TRANSCRIPT_HEAD).decode("utf-8", "replace")
        except OSError:
            continue
        out.extend(_ids_in(head.replace("\\n", "\n")))
    return list(dict.fromkeys(out))


# -- the database side ------------------------------------------------------------------------------------------


def workspace_db(root: str) -> str | None:
    """The state database of an initialized workspace at ``root``, else ``None`` (nothing is created)."""
    folder = os.path.join(root, WORKFLOW_DIR)
    db = os.path.join(folder, DB_NAME)
    if os.path.isdir(folder) and not os.path.islink(folder) and os.path.isfile(db):
        return db
    return None


def _connect(db: str, *, readonly: bool) -> Any:
    try:  # the C module directly: ``sqlite3`` also imports ``datetime`` adapters we do not need
        import _sqlite3 as sqlite_c
    except ImportError:  # pragma: no cover
        import sqlite3 as sqlite_c  # type: ignore[no-redef]
    if readonly:
        uri = "file:" + db.replace("%", "%25").replace("?", "%3f").replace("#", "%23") + "?mode=ro"
        return sqlite_c.connect(uri, uri=True, timeout=5.0, isolation_level=None)
    return sqlite_c.connect(db, timeout=5.0, isolation_level=None)


def find_session(conn: Any, candidates: Sequence[str], agent_id: str | None) -> tuple[Any, ...] | None:
    """The first candidate that names a session (or the session whose child has ``agent_id``)."""
    columns = "session_id, status, agent_id, task_id, runtime, phase, role, artifacts"
    for sid in candidates:
        row = conn.execute(f"SELECT {columns} FROM delegation_sessions WHERE session_id = ?", (sid,)).fetchone()
        if row is not None:
            return tuple(row)
    if agent_id:
        marks = ", ".join("?" for _ in LIVE)
        row = conn.execute(f"SELECT {columns} FROM delegation_sessions WHERE agent_id = ? AND status IN ({marks})"
                           " ORDER BY created_at DESC LIMIT 1", (agent_id, *LIVE)).fetchone()
        if row is not None:
            return tuple(row)
    return None


def _workspace_key(db: str) -> bytes | None:
    """The workspace key beside the database (``keys/workspace.key``), or ``None`` when absent or damaged."""
    path = os.path.join(os.path.dirname(db), "keys", "workspace.key")
    try:
        with open(path, "rb") as handle:
            data = handle.read(64)
    except OSError:
        return None
    return data if len(data) == 32 else None


class _Tx:
    """The two calls :func:`append_chained` needs, over a plain connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()


def record_spawned(db: str, hook: HookEvent, candidates: Sequence[str], stale_ttl_ms: int,
                   now_ms: float | None = None) -> str:
    """``requested`` → ``spawned`` in one transaction; anything else is left as it is. Returns the outcome."""
    import time

    from orchestra.events.chain import ChainKey, append_chained, canonical_json

    key = _workspace_key(db)
    if key is None:  # the chain is keyed with the workspace key; without it nothing can be recorded
        return "no-key"
    conn = _connect(db, readonly=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = find_session(conn, candidates, hook.agent_id)
            if found is None:
                conn.execute("ROLLBACK")
                return "no-session"
            sid, status, agent, task_id, runtime, phase, role, _ = found
            if status != "requested":
                placeholder = agent is None or agent == _call_id(hook.payload)
                if status in ("spawned", "active") and hook.agent_id and placeholder and agent != hook.agent_id:
                    conn.execute("UPDATE delegation_sessions SET agent_id = ? WHERE session_id = ?",
                                 (hook.agent_id, sid))
                    conn.execute("COMMIT")
                    return "agent-recorded"
                conn.execute("ROLLBACK")
                return f"unchanged:{status}"
            moment = int(now_ms if now_ms is not None else time.time() * 1000)
            stamp, expires = iso_from_ms(moment), iso_from_ms(moment + stale_ttl_ms)
            agent_id = hook.agent_id or agent
            metadata = {"sessionId": sid, "runtime": runtime, "phase": phase, "role": role,
                        "spawnedAgentId": agent_id, "previousStatus": status, "status": "spawned",
                        "directProviderApiAllowed": False, "redactions": 0, "reportedBy": f"hook:{hook.event}"}
            seq = append_chained(_Tx(conn), ChainKey(key), type_=SPAWNED_EVENT, actor="hook", task_id=task_id,
                                 summary=f"Runtime spawn lifecycle spawned: {sid}"[:2000],
                                 metadata_json=canonical_json(metadata), artifacts_json="[]", timestamp=stamp)[0]
            conn.execute("UPDATE delegation_sessions SET status = 'spawned', agent_id = ?, updated_at = ?,"
                         " last_activity_at = ?, expires_at = ? WHERE session_id = ?",
                         (agent_id, stamp, stamp, expires, sid))
            n = conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM delegation_transitions WHERE session_id = ?",
                             (sid,)).fetchone()[0]
            conn.execute("INSERT INTO delegation_transitions (session_id, n, from_status, to_status, event_type,"
                         " audit_seq, agent_id, artifact, summary, at) VALUES (?, ?, ?, 'spawned', ?, ?, ?, NULL,"
                         " ?, ?)", (sid, n, status, SPAWNED_EVENT, seq, agent_id, f"reported by {hook.event}",
                                    stamp))
            if _has_table(conn, "capacity_leases"):
                conn.execute("UPDATE capacity_leases SET expires_at = ?, renewed_at = ? WHERE holder = ?"
                             " AND status = 'active'", (expires, stamp, sid))
            conn.execute("COMMIT")
            return "spawned"
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def iso_from_ms(epoch_ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the format of :func:`orchestra.clock.iso_ms`) without ``datetime``."""
    import time

    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def record_stop(root: str, db: str, hook: HookEvent, candidates: Sequence[str]) -> str:
    """Write the pending handoff of a live session (first report wins); the next sweep settles it."""
    conn = _connect(db, readonly=True)
    try:
        found = find_session(conn, candidates, hook.agent_id)
    finally:
        conn.close()
    if found is None:
        return "no-session"
    sid, status = str(found[0]), str(found[1])
    if status not in LIVE:
        return f"unchanged:{status}"
    record = {"sessionId": sid, "event": hook.event, "runtime": hook.runtime, "agentId": hook.agent_id,
              "hostStatus": hook.status, "finalMessage": hook.message}
    return "pending" if write_pending(root, sid, record) else "pending-exists"


def pending_path(root: str, session_id: str) -> str:
    """Where the pending handoff of ``session_id`` is written."""
    import hashlib

    name = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32] + ".json"
    return os.path.join(root, WORKFLOW_DIR, *PENDING_DIR.split("/"), name)


def write_pending(root: str, session_id: str, record: Mapping[str, Any]) -> bool:
    """Create the pending file exclusively (``False`` when one is already waiting)."""
    import json

    path = pending_path(root, session_id)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    data = json.dumps(dict(record), ensure_ascii=False).encode("utf-8")
    temp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # atomic and exclusive: a complete file or none, the first stop wins
    except FileExistsError:
        return False
    finally:
        os.unlink(temp)
    return True


def stale_ttl(root: str) -> int:
    """``runtimePolicy.delegation.guardrails.staleClaimTtlMs`` from config.json (default 30 min)."""
    import json

    try:
        with open(os.path.join(root, WORKFLOW_DIR, "config.json"), "rb") as handle:
            config = json.loads(handle.read(1_048_576))
        value = config["runtimePolicy"]["delegation"]["guardrails"]["staleClaimTtlMs"]
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_STALE_TTL_MS
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1000 else DEFAULT_STALE_TTL_MS


# -- the entry point ---------------------------------------------------------------------------------------------


def run(event: str | None, payload: dict[str, Any], *, runtime: str | None, workspace: str | None,
        env: Mapping[str, str]) -> str:
    """Handle one hook call; returns the outcome (for tests and ``ORCHESTRA_HOOK_DEBUG``)."""
    name = event or payload.get("hook_event_name")
    if not isinstance(name, str):
        return "no-event"
    hook = classify(name, payload, runtime)
    if hook.kind == "ignore":
        return "ignored"
    root = _root(payload, workspace, env)
    if root is None:
        return "no-workspace"
    db = workspace_db(root)
    if db is None:
        return "not-initialized"
    candidates = session_candidates(payload)
    if not candidates:
        candidates = transcript_candidates(payload, root)
    if hook.kind == "start":
        return record_spawned(db, hook, candidates, stale_ttl(root))
    return record_stop(root, db, hook, candidates)


def reply(event: str | None, runtime: str | None) -> str:
    """What the host expects on stdout: ``{}`` for Cursor, nothing for Claude Code and Codex."""
    if runtime == "cursor-cli" or (runtime is None and event in CURSOR_EVENTS):
        return "{}\n"
    return ""


def main(argv: Sequence[str]) -> int:
    """``orchestra hook <event> [--runtime <id>] [--workspace <dir>]``; always exits 0."""
    event, runtime, workspace = _parse(argv)
    debug = os.environ.get("ORCHESTRA_HOOK_DEBUG") == "1"
    try:
        raw = read_raw(_stdin())
        payload = None if raw is None or ignorable(event, raw) else parse_payload(raw)
        if payload is not None:
            outcome = run(event, payload, runtime=runtime, workspace=workspace, env=os.environ)
        else:
            outcome = "ignored" if raw is not None and ignorable(event, raw) else "no-input"
    except Exception as exc:  # the host's work must never break because of us
        outcome = f"error:{type(exc).__name__}"
    try:
        sys.stdout.write(reply(event, runtime))
        if debug:
            sys.stderr.write(f"orchestra hook: {outcome}\n")
        sys.stdout.flush()
    except OSError:
        pass
    return 0


def ignorable(event: str | None, raw: bytes) -> bool:
    """A tool event for a tool that starts no sub-agent, decided on the bytes (before importing ``json``)."""
    return event in PRE_TOOL | POST_TOOL and not any(name in raw for name in SPAWN_TOOL_NAMES)


def read_raw(stream: BinaryIO | None) -> bytes | None:
    """The hook input on ``stream``, bounded in size and time (``None``: no usable input)."""
    if stream is None:
        return None
    try:
        if stream.isatty():
            return None
        raw = _read_bounded(stream, INPUT_LIMIT + 1, READ_SECONDS)
    except (OSError, ValueError):
        return None
    return raw if raw.strip() and len(raw) <= INPUT_LIMIT else None


def parse_payload(raw: bytes) -> dict[str, Any] | None:
    """The hook JSON object, or ``None``."""
    import json

    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _parse(argv: Sequence[str]) -> tuple[str | None, str | None, str | None]:
    event = runtime = workspace = None
    items = list(argv)
    while items:
        token = items.pop(0)
        name, eq, value = token.partition("=")
        if name in ("--runtime", "--workspace"):
            if not eq:
                value = items.pop(0) if items else ""
            if name == "--runtime":
                runtime = value or None
            else:
                workspace = value or None
        elif not token.startswith("-") and event is None:
            event = token
    return event, runtime, workspace


def _root(payload: Mapping[str, Any], workspace: str | None, env: Mapping[str, str]) -> str | None:
    from orchestra.errors import OrchestraError
    from orchestra.workspace.locate import locate_root

    roots = payload.get("workspace_roots")
    hint = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else payload.get("cwd")
    start = hint if isinstance(hint, str) and os.path.isabs(hint) and os.path.isdir(hint) else None
    try:
        return locate_root(workspace, env=env, cwd=start)[0]
    except (OrchestraError, OSError):
        return None


def _has_table(conn: Any, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _agent_id(payload: Mapping[str, Any]) -> str | None:
    """The child's id: the host's agent id, else the one a spawn tool returned, else the tool call's id."""
    for key in ("agent_id", "subagent_id"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    response = _as_object(payload.get("tool_response"))
    for key in ("agent_id", "agentId", "thread_id"):
        value = response.get(key) if response else None
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return _call_id(payload)


def _call_id(payload: Mapping[str, Any]) -> str | None:
    for key in ("tool_use_id", "tool_call_id"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def _final_message(payload: Mapping[str, Any]) -> str | None:
    """The child's last words: ``last_assistant_message``, Cursor's ``summary``, or the tool's response."""
    for key in ("last_assistant_message", "summary", "result"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value[:MESSAGE_LIMIT]
    response = payload.get("tool_response")
    texts = list(_strings(response))
    return "\n".join(texts)[:MESSAGE_LIMIT] if texts else None


def _as_object(value: object) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        import json

        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _strings(value: object, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < 8 and isinstance(value, list):
        for item in value[:1000]:
            yield from _strings(item, depth + 1)


def _ids_in(text: str) -> list[str]:
    import re

    return [m.group(1).rstrip(".:-") for m in re.finditer(_SESSION_LINE, text, re.IGNORECASE)]


def _read_bounded(stream: BinaryIO, size: int, timeout: float) -> bytes:
    from orchestra.runtime.stdin import read_bounded

    return read_bounded(stream, size, timeout, chunk=1_048_576)


def _stdin() -> BinaryIO | None:
    return getattr(sys.stdin, "buffer", None)
