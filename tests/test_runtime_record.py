"""The active-runtime record: format, TTL and read statuses, with an injected clock."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestra.errors import UnknownRuntimeError, ValidationError
from orchestra.runtime.record import (
    read_active_runtime,
    session_id_from_env,
    session_record_path,
    shared_record_path,
    write_active_runtime,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_write_produces_the_original_format(workspace: Path) -> None:
    record = write_active_runtime(workspace, "claude-cli", now=T0, pid=7167)
    shared = Path(shared_record_path(workspace))
    assert shared.read_text() == (
        '{\n  "runtime": "claude-cli",\n  "updatedAt": "2026-01-01T00:00:00.000Z",\n  "writer": "hook",\n'
        '  "pid": 7167,\n  "sessionId": "claude-cli:7167"\n}\n'
    )
    assert record.session_id == "claude-cli:7167"
    assert not (workspace / ".agent-workflow" / "runtime-sessions").exists()  # no file per hook process
    write_active_runtime(workspace, "claude-cli", now=T0, pid=7167, session_id="s-1")
    digest = hashlib.sha256(b"s-1").hexdigest()
    session_file = workspace / ".agent-workflow" / "runtime-sessions" / f"{digest}.json"
    assert session_file.read_bytes() == shared.read_bytes()


def test_ttl_is_inclusive(workspace: Path) -> None:
    write_active_runtime(workspace, "codex-cli", now=T0, pid=1)
    assert read_active_runtime(workspace, now=T0 + timedelta(hours=24)).status == "fresh"
    assert read_active_runtime(workspace, now=T0 + timedelta(hours=23, minutes=59, seconds=59)).status == "fresh"
    late = read_active_runtime(workspace, now=T0 + timedelta(hours=24, milliseconds=1))
    assert late.status == "stale"
    assert late.record is not None and late.record.runtime == "codex-cli"


def test_missing_and_blank_are_missing(workspace: Path) -> None:
    assert read_active_runtime(workspace).status == "missing"
    path = Path(shared_record_path(workspace))
    path.parent.mkdir(parents=True)
    path.write_text("  \n")
    assert read_active_runtime(workspace).status == "missing"


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    '{"runtime": "claude-cli"}',
    '{"runtime": 3, "updatedAt": "2026-01-01T00:00:00.000Z"}',
    '{"runtime": "emacs", "updatedAt": "2026-01-01T00:00:00.000Z"}',
    '{"runtime": "claude-cli", "updatedAt": "2026-01-01T00:00:00.000Z", "pid": "7"}',
    '{"runtime": "claude-cli", "updatedAt": "2026-01-01T00:00:00.000Z", "pid": true}',
    '{"runtime": "claude-cli", "updatedAt": "2026-01-01T00:00:00.000Z", "writer": 1}',
    '{"runtime": "claude-cli", "updatedAt": "2026-01-01T00:00:00.000Z", "sessionId": 1}',
    "\xff\xfe",
])
def test_bad_shapes_are_corrupted(workspace: Path, content: str) -> None:
    path = Path(shared_record_path(workspace))
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("latin-1"))
    assert read_active_runtime(workspace, now=T0).status == "corrupted"


def test_unparseable_time_is_stale_and_defaults_apply(workspace: Path) -> None:
    path = Path(shared_record_path(workspace))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"runtime": "cursor-cli", "updatedAt": "yesterday"}))
    found = read_active_runtime(workspace, now=T0)
    assert found.status == "stale"
    assert found.record is not None and found.record.writer == "hook"


def test_future_record_is_stale(workspace: Path) -> None:
    write_active_runtime(workspace, "claude-cli", now=T0 + timedelta(hours=2))
    assert read_active_runtime(workspace, now=T0).status == "stale"
    assert read_active_runtime(workspace, now=T0 + timedelta(hours=1, minutes=56)).status == "fresh"


def test_session_records(workspace: Path) -> None:
    write_active_runtime(workspace, "claude-cli", now=T0, session_id="abc-123")
    assert read_active_runtime(workspace, now=T0, session_id="abc-123").status == "fresh"
    assert read_active_runtime(workspace, now=T0, session_id="other").status == "missing"
    # a session file whose content names another session is not trusted
    original = Path(session_record_path(workspace, "abc-123")).read_bytes()
    Path(session_record_path(workspace, "other")).write_bytes(original)
    assert read_active_runtime(workspace, now=T0, session_id="other").status == "corrupted"


def test_unknown_runtime_or_bad_session_writes_nothing(workspace: Path) -> None:
    with pytest.raises(UnknownRuntimeError):
        write_active_runtime(workspace, "emacs")
    with pytest.raises(ValidationError):
        write_active_runtime(workspace, "claude-cli", session_id="bad id with spaces")
    assert not (workspace / ".agent-workflow").exists()


def test_session_id_from_env() -> None:
    assert session_id_from_env("claude-cli", {"OPEN_ORCHESTRA_SESSION_ID": " s1 "}) == "s1"
    assert session_id_from_env("claude-cli", {"CODEX_THREAD_ID": "t1"}) is None
    assert session_id_from_env("codex-cli", {"CODEX_THREAD_ID": "t1"}) == "t1"
    assert session_id_from_env(None, {"CODEX_THREAD_ID": "t1"}) == "t1"
    assert session_id_from_env(None, {"OPEN_ORCHESTRA_SESSION_ID": "no spaces allowed"}) is None
