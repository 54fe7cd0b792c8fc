"""The active-runtime record: ``.agent-workflow/active-runtime.json`` and per-session copies.

A hook writes ``{runtime, updatedAt, writer, pid, sessionId}`` on every prompt; readers
classify what they find as ``missing | corrupted | stale | fresh`` (24 h TTL, inclusive).
Writes replace the file atomically (unique temp file + fsync + rename), so concurrent
hooks never leave a torn file: the last rename wins.

Only ``os``/``json``/``re``/``time`` at import: this module is on the per-prompt hook path
(``datetime`` is imported when a record is read, ``pathlib`` never).
"""

from __future__ import annotations

import json
import os
import re
import time

from orchestra.errors import ValidationError
from orchestra.runtime.adapters import get_adapter, is_runtime_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, timedelta
    from typing import Any, Literal

    RecordStatus = Literal["missing", "corrupted", "stale", "fresh"]
    StrPath = str | os.PathLike[str]

WORKFLOW_DIR = ".agent-workflow"
ACTIVE_RUNTIME_FILE = "active-runtime.json"
SESSIONS_DIR = "runtime-sessions"
TTL_SECONDS = 24 * 60 * 60
FUTURE_SKEW_SECONDS = 5 * 60
MAX_RECORD_BYTES = 65_536
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,256}")
SESSION_ENV = "OPEN_ORCHESTRA_SESSION_ID"


class ActiveRuntimeRecord:
    """One record as written (key order on disk: runtime, updatedAt, writer, pid, sessionId)."""

    __slots__ = ("pid", "runtime", "session_id", "updated_at", "writer")

    def __init__(self, runtime: str, updated_at: str, writer: str = "hook", pid: int | None = None,
                 session_id: str | None = None) -> None:
        self.runtime = runtime
        self.updated_at = updated_at
        self.writer = writer
        self.pid = pid
        self.session_id = session_id

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

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActiveRuntimeRecord) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash((self.runtime, self.updated_at, self.writer, self.pid, self.session_id))

    def __repr__(self) -> str:
        return f"ActiveRuntimeRecord({self.to_json()!r})"


class RecordRead:
    """What a reader found: a status, the record when its shape is valid, and why."""

    __slots__ = ("path", "reason", "record", "status")

    def __init__(self, status: RecordStatus, path: str, record: ActiveRuntimeRecord | None = None,
                 reason: str | None = None) -> None:
        self.status: RecordStatus = status
        self.path = path
        """Workspace-relative POSIX path of the file that was read."""
        self.record = record
        self.reason = reason

    def __repr__(self) -> str:
        return f"RecordRead(status={self.status!r}, path={self.path!r}, reason={self.reason!r})"


def iso_ms(moment: datetime | None = None) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (JavaScript's ``toISOString``) for ``moment`` or now."""
    if moment is not None:
        from datetime import UTC

        value = moment.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    now_ns = time.time_ns()
    seconds, rest = divmod(now_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(seconds)) + f"{rest // 1_000_000:03d}Z"


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


def shared_record_relpath() -> str:
    """``.agent-workflow/active-runtime.json``."""
    return f"{WORKFLOW_DIR}/{ACTIVE_RUNTIME_FILE}"


def session_record_relpath(session_id: str) -> str:
    """``.agent-workflow/runtime-sessions/<sha256(session id)>.json``."""
    return f"{WORKFLOW_DIR}/{SESSIONS_DIR}/{_sha256_hex(session_id.encode('utf-8'))}.json"


def shared_record_path(root: StrPath) -> str:
    """Absolute path of the shared record."""
    return os.path.join(os.fspath(root), shared_record_relpath())


def session_record_path(root: StrPath, session_id: str) -> str:
    """Absolute path of one session's record."""
    return os.path.join(os.fspath(root), session_record_relpath(session_id))


def write_active_runtime(
    root: StrPath,
    runtime: str,
    *,
    writer: str = "hook",
    now: datetime | None = None,
    pid: int | None = None,
    session_id: str | None = None,
) -> ActiveRuntimeRecord:
    """Validate ``runtime`` (before touching disk), then write the session file and the shared file.

    ``session_id`` defaults to ``"<runtime>:<pid>"``; an explicit one must match the id pattern.
    A session file is written only for an explicit session id: the default names a short-lived
    hook process, and one file per prompt would pile up (the original writes it every time).
    """
    get_adapter(runtime)
    if session_id is not None and valid_session_id(session_id) is None:
        raise ValidationError("session id must be 1-256 characters of letters, digits, '.', '_', ':' or '-'")
    actual_pid = os.getpid() if pid is None else pid
    sid = session_id.strip() if session_id else f"{runtime}:{actual_pid}"
    record = ActiveRuntimeRecord(runtime, iso_ms(now), writer, actual_pid, sid)
    data = record.serialize()
    if session_id:
        replace_file(session_record_path(root, sid), data)
    replace_file(shared_record_path(root), data)
    return record


def read_active_runtime(
    root: StrPath, *, now: datetime | None = None, ttl: timedelta | None = None, session_id: str | None = None,
) -> RecordRead:
    """Read the session record (when ``session_id`` is given) or the shared one, and classify it."""
    rel = session_record_relpath(session_id) if session_id else shared_record_relpath()
    try:
        with open(os.path.join(os.fspath(root), rel), "rb") as handle:
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
    updated = _epoch(record.updated_at)
    if updated is None:
        return RecordRead("stale", rel, record, reason="updatedAt is not a timestamp")
    current = now.timestamp() if now is not None else time.time()
    limit = ttl.total_seconds() if ttl is not None else TTL_SECONDS
    if current - updated > limit:
        return RecordRead("stale", rel, record, reason="older than the TTL")
    if updated - current > FUTURE_SKEW_SECONDS:
        return RecordRead("stale", rel, record, reason="updatedAt is in the future")
    return RecordRead("fresh", rel, record)


def replace_file(path: str, data: bytes) -> None:
    """Atomic replace without importing ``tempfile``: unique temp name, write, fsync, rename."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - contextlib costs an import on the hook path
            os.unlink(tmp)
        except OSError:
            pass
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


def _epoch(text: str) -> float | None:
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).timestamp()


def _sha256_hex(data: bytes) -> str:
    try:  # the builtin module skips loading OpenSSL (~5 ms on a slow machine)
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - Python 3.12+ renamed it
        from hashlib import sha256
    return str(sha256(data).hexdigest())
