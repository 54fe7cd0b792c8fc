"""The active-runtime record: ``.agent-workflow/active-runtime.json`` and per-session copies.

A hook writes ``{runtime, updatedAt, writer, pid, sessionId}`` on every prompt; readers
classify what they find as ``missing | corrupted | stale | fresh`` (24 h TTL, inclusive).
Writes replace the file atomically (unique temp file + fsync + rename), so concurrent
hooks never leave a torn file: the last rename wins. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from orchestra.errors import ValidationError
from orchestra.runtime.adapters import get_adapter, is_runtime_id

WORKFLOW_DIR = ".agent-workflow"
ACTIVE_RUNTIME_FILE = "active-runtime.json"
SESSIONS_DIR = "runtime-sessions"
ACTIVE_RUNTIME_TTL = timedelta(hours=24)
FUTURE_SKEW = timedelta(minutes=5)
MAX_RECORD_BYTES = 65_536
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,256}")
SESSION_ENV = "OPEN_ORCHESTRA_SESSION_ID"

RecordStatus = Literal["missing", "corrupted", "stale", "fresh"]


@dataclass(frozen=True)
class ActiveRuntimeRecord:
    """One record as written (key order on disk: runtime, updatedAt, writer, pid, sessionId)."""

    runtime: str
    updated_at: str
    writer: str = "hook"
    pid: int | None = None
    session_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The on-disk object (``None`` fields are left out, as JavaScript drops ``undefined``)."""
        data: dict[str, Any] = {"runtime": self.runtime, "updatedAt": self.updated_at, "writer": self.writer}
        if self.pid is not None:
            data["pid"] = self.pid
        if self.session_id is not None:
            data["sessionId"] = self.session_id
        return data

    def serialize(self) -> bytes:
        """Two-space JSON plus a newline, like the original."""
        return (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class RecordRead:
    """What a reader found: a status, the record when its shape is valid, and why."""

    status: RecordStatus
    path: str
    record: ActiveRuntimeRecord | None = None
    reason: str | None = None


def iso_ms(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (JavaScript's ``toISOString``)."""
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def valid_session_id(value: object) -> str | None:
    """The trimmed id when it matches ``[A-Za-z0-9._:-]{1,256}``, else ``None``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if SESSION_ID_PATTERN.fullmatch(text) else None


def session_id_from_env(runtime: str | None, env: Mapping[str, str]) -> str | None:
    """``OPEN_ORCHESTRA_SESSION_ID``, else (Codex or unknown runtime) ``CODEX_THREAD_ID``; invalid → ignored."""
    found = valid_session_id(env.get(SESSION_ENV))
    if found is None and runtime in (None, "codex-cli"):
        found = valid_session_id(env.get("CODEX_THREAD_ID"))
    return found


def shared_record_path(root: Path) -> Path:
    """``<root>/.agent-workflow/active-runtime.json``."""
    return root / WORKFLOW_DIR / ACTIVE_RUNTIME_FILE


def session_record_path(root: Path, session_id: str) -> Path:
    """``<root>/.agent-workflow/runtime-sessions/<sha256(session id)>.json``."""
    digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()
    return root / WORKFLOW_DIR / SESSIONS_DIR / f"{digest}.json"


def write_active_runtime(
    root: Path,
    runtime: str,
    *,
    writer: str = "hook",
    now: datetime | None = None,
    pid: int | None = None,
    session_id: str | None = None,
) -> ActiveRuntimeRecord:
    """Validate ``runtime`` (before touching disk), then write the session file and the shared file.

    ``session_id`` defaults to ``"<runtime>:<pid>"``; an explicit one must match the id pattern.
    """
    get_adapter(runtime)
    if session_id is not None and valid_session_id(session_id) is None:
        raise ValidationError("session id must be 1-256 characters of letters, digits, '.', '_', ':' or '-'")
    actual_pid = os.getpid() if pid is None else pid
    sid = session_id.strip() if session_id else f"{runtime}:{actual_pid}"
    record = ActiveRuntimeRecord(
        runtime=runtime, updated_at=iso_ms(now or datetime.now(UTC)), writer=writer, pid=actual_pid, session_id=sid,
    )
    data = record.serialize()
    replace_file(session_record_path(root, sid), data)
    replace_file(shared_record_path(root), data)
    return record


def read_active_runtime(
    root: Path, *, now: datetime | None = None, ttl: timedelta = ACTIVE_RUNTIME_TTL, session_id: str | None = None,
) -> RecordRead:
    """Read the session record (when ``session_id`` is given) or the shared one, and classify it."""
    path = session_record_path(root, session_id) if session_id else shared_record_path(root)
    rel = path.relative_to(root).as_posix()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RECORD_BYTES + 1)
    except OSError:
        return RecordRead("missing", rel)
    if not raw.strip():
        return RecordRead("missing", rel)
    if len(raw) > MAX_RECORD_BYTES:
        return RecordRead("corrupted", rel, reason="record is larger than 64 KiB")
    record, problem = _parse(raw)
    if record is None:
        return RecordRead("corrupted", rel, reason=problem)
    if session_id and record.session_id != session_id:
        return RecordRead("corrupted", rel, reason="record belongs to another session")
    moment = now or datetime.now(UTC)
    updated = _parse_time(record.updated_at)
    if updated is None:
        return RecordRead("stale", rel, record, reason="updatedAt is not a timestamp")
    if moment - updated > ttl:
        return RecordRead("stale", rel, record, reason="older than the 24 h TTL")
    if updated - moment > FUTURE_SKEW:
        return RecordRead("stale", rel, record, reason="updatedAt is in the future")
    return RecordRead("fresh", rel, record)


def replace_file(path: Path, data: bytes) -> None:
    """Atomic replace without importing ``tempfile``: unique name, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _parse(raw: bytes) -> tuple[ActiveRuntimeRecord | None, str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "not valid JSON"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    runtime, updated = data.get("runtime"), data.get("updatedAt")
    if not isinstance(runtime, str) or not isinstance(updated, str):
        return None, "runtime and updatedAt must be strings"
    if not is_runtime_id(runtime):
        return None, "unknown runtime id"
    writer, pid, sid = data.get("writer", "hook"), data.get("pid"), data.get("sessionId")
    if not isinstance(writer, str):
        return None, "writer must be a string"
    if pid is not None and not _is_integral(pid):
        return None, "pid must be a whole number"
    if sid is not None and not isinstance(sid, str):
        return None, "sessionId must be a string"
    return ActiveRuntimeRecord(runtime, updated, writer, None if pid is None else int(pid), sid), ""


def _is_integral(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
