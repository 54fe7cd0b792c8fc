"""The per-prompt health report behind ``orchestra health``: record the runtime, count, summarize.

Runs on every prompt in every runtime that has the hook, so it stays on the standard
library: config.json is read with ``json``, counts with a read-only ``sqlite3``
connection (a missing or locked database just means no counts).
"""

from __future__ import annotations

import json
import os
import stat
import sys

from orchestra.errors import OrchestraError
from orchestra.runtime.inference import Inference, RuntimePolicyView, infer_active_runtime, select_runtime
from orchestra.runtime.record import (
    WORKFLOW_DIR,
    session_id_from_env,
    valid_session_id,
    write_active_runtime,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any, BinaryIO

    from orchestra.runtime.record import StrPath

HOOK_INPUT_LIMIT = 65_536
HOOK_READ_SECONDS = 2.0
MAX_CONFIG_BYTES = 1_048_576
SESSION_TABLES = ("delegation_sessions", "sessions")
PENDING_STATES = ("requested", "queued")
ACTIVE_STATES = ("spawned", "active")


class HookInput:
    """What a host hook sent on stdin (Claude/Codex ``session_id``+``cwd``; Cursor ``conversation_id``+roots)."""

    __slots__ = ("event", "session_id", "warnings", "workspace_hint")

    def __init__(self, session_id: str | None = None, workspace_hint: str | None = None, event: str | None = None,
                 warnings: list[str] | None = None) -> None:
        self.session_id = session_id
        self.workspace_hint = workspace_hint
        self.event = event
        self.warnings: list[str] = warnings or []


def read_hook_input(stream: BinaryIO | None, *, limit: int = HOOK_INPUT_LIMIT,
                    timeout: float = HOOK_READ_SECONDS) -> HookInput:
    """Parse the hook JSON on ``stream``; never raises, never waits on a terminal or past ``timeout``."""
    if stream is None:
        return HookInput(warnings=["--hook-session: there is no stdin; ignored"])
    try:
        if stream.isatty():
            return HookInput(warnings=["--hook-session: stdin is a terminal, not hook JSON; ignored"])
        raw = _read_bounded(stream, limit + 1, timeout)
    except (OSError, ValueError):
        return HookInput(warnings=["--hook-session: stdin is unreadable; ignored"])
    if len(raw) > limit:
        return HookInput(warnings=["--hook-session: hook input exceeds the 64 KiB limit; ignored"])
    if not raw.strip():
        return HookInput()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return HookInput(warnings=["--hook-session: stdin is not JSON; ignored"])
    if not isinstance(data, dict):
        return HookInput(warnings=["--hook-session: stdin is not a JSON object; ignored"])
    raw_id = data.get("session_id", data.get("conversation_id"))
    session_id = valid_session_id(raw_id)
    hook = HookInput(session_id=session_id, event=_text(data.get("hook_event_name")))
    if raw_id is not None and session_id is None:
        hook.warnings.append("--hook-session: session id has an unexpected form; ignored")
    roots = data.get("workspace_roots")
    first_root = roots[0] if isinstance(roots, list) and roots else None
    hook.workspace_hint = _text(first_root) or _text(data.get("cwd"))
    return hook


def record_runtime(root: StrPath, runtime: str, *, hook: HookInput | None, env: Mapping[str, str],
                   now: datetime | None = None) -> dict[str, Any]:
    """Write the record; a failure is reported in the result, never raised (the hook must not break)."""
    session_id = (hook.session_id if hook else None) or session_id_from_env(runtime, env)
    try:
        record = write_active_runtime(root, runtime, writer="hook", now=now, session_id=session_id)
    except (OSError, OrchestraError) as exc:
        message = exc.message if isinstance(exc, OrchestraError) else (exc.strerror or type(exc).__name__)
        return {"runtime": runtime, "status": "failed", "source": "hook", "error": message}
    out: dict[str, Any] = {"runtime": runtime, "status": "written", "source": "hook",
                           "updatedAt": record.updated_at, "pid": record.pid, "sessionId": record.session_id}
    if hook and hook.session_id and runtime == "claude-cli":
        exported = export_claude_session(env.get("CLAUDE_ENV_FILE"), hook.session_id)
        if exported:
            out["sessionExport"] = exported
    return out


def export_claude_session(env_file: str | None, session_id: str) -> str | None:
    """Append ``export OPEN_ORCHESTRA_SESSION_ID='<id>'`` to ``CLAUDE_ENV_FILE`` (regular file, no symlink)."""
    if not env_file:
        return None
    line = f"export OPEN_ORCHESTRA_SESSION_ID='{session_id}'\n"
    try:
        info = os.lstat(env_file)
        if not stat.S_ISREG(info.st_mode):
            return "skipped: CLAUDE_ENV_FILE is not a regular file"
        with open(env_file, "r+", encoding="utf-8") as handle:
            if line in handle.read(HOOK_INPUT_LIMIT):
                return "present"
            handle.write(line)
    except OSError:
        return "skipped: CLAUDE_ENV_FILE is not writable"
    return "appended"


def build_report(root: StrPath, *, recorded: dict[str, Any] | None, env: Mapping[str, str],
                 now: datetime | None = None, warnings: list[str] | None = None) -> dict[str, Any]:
    """Workspace, active runtime and its source, executor policy, task and session counts."""
    notes = list(warnings or [])
    policy = RuntimePolicyView.from_json(read_config(root, notes))
    active = recorded
    if active is None:
        try:
            inference = infer_active_runtime(root, env=env, now=now, strict=False)
        except OSError:
            inference = None
        active = {"runtime": inference.runtime if inference else None,
                  "status": "inferred" if inference and inference.runtime else "unknown",
                  "source": inference.source if inference else None}
    try:
        executor = select_runtime(policy, infer=lambda: _fixed(active))
        executor_view: dict[str, Any] = {"runtime": executor.runtime, "source": executor.source}
    except OrchestraError as exc:
        executor_view = {"runtime": None, "source": None, "error": exc.message}
    db = os.path.join(os.fspath(root), WORKFLOW_DIR, "state.db")
    tasks, sessions = read_counts(db)
    return {"workspaceRoot": os.fspath(root), "initialized": True,
            "activeRuntime": active, "executor": executor_view,
            "tasks": tasks, "sessions": sessions, "database": database_state(db, tasks), "warnings": notes}


def format_text(report: Mapping[str, Any]) -> str:
    """One compact line for a model's context (Claude Code adds hook stdout to every prompt).

    Warnings are not part of it: the command prints them on stderr."""
    active = report["activeRuntime"]
    runtime = active.get("runtime") or "unknown"
    if active.get("status") == "written":
        where = "recorded by hook"
    elif active.get("status") == "failed":
        where = f"record failed: {active.get('error')}"
    else:
        where = f"from {active.get('source') or 'nothing'}"
    parts = [f"Orchestra: workspace {report['workspaceRoot']}", f"runtime {runtime} ({where})"]
    executor = report["executor"]
    if executor.get("runtime") and executor["runtime"] != runtime:
        parts.append(f"executor {executor['runtime']} ({executor['source']})")
    tasks = report["tasks"]
    state = report.get("database")
    if tasks is None and state == "corrupt":
        parts.append("the state database is corrupt (run `orchestra doctor`)")
    elif tasks is None and state == "unreadable":
        parts.append("the state database is locked or unreadable")
    elif tasks is None:
        parts.append("state database unreadable")
    else:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(tasks["byStatus"].items()))
        parts.append(f"tasks {tasks['total']}" + (f" ({detail})" if detail else ""))
    sessions = report["sessions"]
    if sessions is not None:
        parts.append(f"delegated sessions {sessions['active']} active, {sessions['pending']} pending")
    return "; ".join(parts) + ". Details: MCP tools runtime_status, task_list."


def read_config(root: StrPath, warnings: list[str]) -> object:
    """config.json parsed with plain ``json``; problems become warnings, not failures."""
    path = os.path.join(os.fspath(root), WORKFLOW_DIR, "config.json")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError:
        warnings.append("config.json is unreadable; using defaults")
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        warnings.append("config.json is not valid JSON; using defaults")
        return {}


def database_state(db: str, tasks: object) -> str:
    """``missing``, ``ok``, ``corrupt`` (not an SQLite database, or no tasks table) or ``unreadable``."""
    if not os.path.isfile(db):
        return "missing"
    if tasks is not None:
        return "ok"
    try:
        with open(db, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return "unreadable"
    return "corrupt" if header != b"SQLite format 3\x00" or os.path.getsize(db) < 512 else "unreadable"


def read_counts(db: str) -> tuple[dict[str, Any] | None, dict[str, int] | None]:
    """Task counts by status and pending/active session counts, read-only; ``None`` where unavailable."""
    if not os.path.isfile(db):
        return None, None
    try:  # the C module directly: ``sqlite3`` itself also imports ``datetime`` for its adapters
        import _sqlite3 as sqlite_c
    except ImportError:  # pragma: no cover
        import sqlite3 as sqlite_c  # type: ignore[no-redef]

    uri = "file:" + db.replace("%", "%25").replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    try:
        conn = sqlite_c.connect(uri, uri=True, timeout=0.5)
    except sqlite_c.Error:
        return None, None
    try:
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tasks = None
        if "tasks" in tables:
            by_status = {str(s): int(n) for s, n in conn.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status")}
            tasks = {"total": sum(by_status.values()), "byStatus": by_status}
        sessions = _session_counts(conn, tables)
    except sqlite_c.Error:
        return None, None
    finally:
        conn.close()
    return tasks, sessions


def _session_counts(conn: sqlite3.Connection, tables: set[str]) -> dict[str, int] | None:
    table = next((t for t in SESSION_TABLES if t in tables), None)
    if table is None:
        return None
    columns = {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}
    if "status" not in columns:
        return None
    counts = {str(s): int(n) for s, n in conn.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status")}
    return {"pending": sum(counts.get(s, 0) for s in PENDING_STATES),
            "active": sum(counts.get(s, 0) for s in ACTIVE_STATES)}


def _fixed(active: Mapping[str, Any]) -> Inference:
    runtime = active.get("runtime")
    return Inference(runtime, active.get("source") if runtime else None)


def _read_bounded(stream: BinaryIO, size: int, timeout: float) -> bytes:
    from orchestra.runtime.stdin import read_bounded

    return read_bounded(stream, size, timeout, chunk=65_536)


def _text(value: object) -> str | None:
    return value.strip()[:4096] if isinstance(value, str) and value.strip() else None


def stdin_binary() -> BinaryIO | None:
    """``sys.stdin`` as bytes, or ``None`` when the process has no usable stdin."""
    stream = getattr(sys.stdin, "buffer", None)
    return stream if stream is not None else None
