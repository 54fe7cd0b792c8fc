"""A spawn's files are not fsynced: a missing, empty or torn one is put back from the row and the audit event."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.store.sqlite import SQLiteStore
from tests.delegation.conftest import open_app
from tests.helpers import clean_env, run_cli


def _files(app: Orchestra, session_id: str) -> dict[str, bytes]:
    arts = app.delegation.get(session_id).session.artifacts
    paths = (arts.prompt, arts.request, arts.request_json, arts.context_manifest)
    return {p: (app.layout.root / p).read_bytes() for p in paths}


def _spawn(app: Orchestra) -> str:
    (app.layout.root / "src").mkdir(exist_ok=True)
    (app.layout.root / "src" / "app.py").write_text("def main() -> int:\n    return 0\n")
    return app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": "Fix the bug; keep it small.",
                                 "ownership_paths": ["src/app.py"]}).session_id


def _damage(root: Path, files: dict[str, bytes]) -> None:
    """Truncate one file in the middle, empty one, delete one, tear the manifest."""
    prompt, request, request_json, manifest = files
    (root / request_json).write_bytes(files[request_json][: len(files[request_json]) // 2])
    (root / prompt).write_bytes(b"")
    (root / request).unlink()
    (root / manifest).write_bytes(files[manifest][:100])


def test_session_get_puts_back_every_torn_or_missing_file(workspace: Path) -> None:
    app = open_app(workspace)
    try:
        sid = _spawn(app)
        before = _files(app, sid)
        _damage(workspace, before)
        assert _files(app, sid) == before  # session_get repaired them first, byte for byte
        assert app.delegation.get(sid).session.status == "requested"
    finally:
        app.close()


def test_reopen_puts_back_the_prompt_and_request_files(workspace: Path) -> None:
    app = open_app(workspace)
    sid = _spawn(app)
    before = _files(app, sid)
    app.close()
    _damage(workspace, before)
    prompt, request, request_json, manifest = before
    with Orchestra.open(workspace) as again:  # the open repairs what the row and event hold
        for path in (prompt, request, request_json):
            assert (workspace / path).read_bytes() == before[path]
        assert (workspace / manifest).read_bytes() == before[manifest][:100]  # needs the context: on get
        assert _files(again, sid) == before


def test_a_manifest_whose_sources_changed_is_not_rewritten_with_other_content(workspace: Path) -> None:
    app = open_app(workspace)
    try:
        sid = _spawn(app)
        before = _files(app, sid)
        manifest = next(p for p in before if p.endswith("-context-manifest.json"))
        (workspace / "src" / "app.py").write_text("def main() -> int:\n    return 1  # changed\n")
        (workspace / manifest).write_bytes(b"{")
        detail = app.delegation.get(sid)  # answers; the manifest stays as found (the bundle would differ)
        assert detail.session.session_id == sid
        assert (workspace / manifest).read_bytes() == b"{"
    finally:
        app.close()


def test_request_files_rendered_from_the_record_match_what_the_spawn_wrote(workspace: Path) -> None:
    app = open_app(workspace)
    try:
        sids = [_spawn(app), app.delegation.spawn({"task_id": "T-2", "runtime": "codex-cli"}).session_id]
        for sid in sids:
            before = _files(app, sid)
            for path in before:
                (workspace / path).unlink()
            assert _files(app, sid) == before
    finally:
        app.close()


KILL_AFTER_COMMIT = r"""
import os, signal, sys
from pathlib import Path
from orchestra.app import Orchestra
from orchestra.delegation import spawn

def die(*_a, **_k):
    print(sys.argv[2], flush=True)  # the commit is done: the session row and its event are durable
    os.kill(os.getpid(), signal.SIGKILL)

with Orchestra.open(Path(sys.argv[1])) as app:
    spawn._result = die
    app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": "killed after the commit"})
"""


def test_a_crash_after_the_commit_with_the_files_lost_leaves_a_consistent_session(workspace: Path) -> None:
    open_app(workspace).close()
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_COMMIT, str(workspace), "committed"],
                            env=clean_env(), capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert killed.stdout.strip() == "committed"
    runs = workspace / ".agent-workflow" / "runs"
    written = {p.name: p.read_bytes() for p in runs.iterdir()}
    assert len(written) == 4
    for path in runs.iterdir():  # what a power loss can do to files never fsynced
        if path.name.endswith("-spawn-request.md"):
            path.unlink()
        else:
            path.write_bytes(b"")
    with Orchestra.open(workspace) as app:
        sessions = app.delegation.list_sessions().sessions
        assert [s.status for s in sessions] == ["requested"]
        assert app.delegation.get(sessions[0].session_id).session.brief == "killed after the commit"
        assert {p.name: p.read_bytes() for p in runs.iterdir()} == written
        assert app.delegation.prompt_text(sessions[0].session_id).encode() == next(
            v for k, v in written.items() if k.endswith("-spawn-prompt.md"))
    assert run_cli("audit", "verify", "--workspace", str(workspace)).returncode == 0


@pytest.mark.sqlite_only
def test_the_state_file_is_wal_with_full_sync(workspace: Path) -> None:
    app = open_app(workspace)
    try:
        sid = _spawn(app)
        app.delegation.update({"session_id": sid, "status": "completed", "result": {"summary": "done"}})
        store = app.store
        with store.write() as tx:  # the connection every write commits on
            assert str(tx.fetchone("PRAGMA journal_mode")[0]).lower() == "wal"  # type: ignore[index]
            assert int(tx.fetchone("PRAGMA synchronous")[0]) == 2  # type: ignore[index]  # FULL
            assert int(tx.fetchone("PRAGMA busy_timeout")[0]) >= 9000  # type: ignore[index]
    finally:
        app.close()
    raw = SQLiteStore(workspace / ".agent-workflow" / "state.db")
    try:
        with raw.read() as tx:
            assert str(tx.fetchone("PRAGMA journal_mode")[0]).lower() == "wal"  # type: ignore[index]
            rows = tx.fetchall("SELECT status, prompt IS NOT NULL AS kept FROM delegation_sessions")
        assert [(r["status"], r["kept"]) for r in rows] == [("completed", 1)]
    finally:
        raw.close()


def test_events_hold_every_request_field(workspace: Path) -> None:
    app = open_app(workspace)
    try:
        sid = _spawn(app)
        request_json = app.delegation.get(sid).session.artifacts.request_json
        doc = json.loads((workspace / request_json).read_text())
        admitted = next(e for e in app.events.list(limit=50) if e.metadata.get("sessionId") == sid)
        assert {k: v for k, v in doc.items() if k not in ("brief", "artifacts")} == {
            k: admitted.metadata[k] for k in doc if k not in ("brief", "artifacts")}
    finally:
        app.close()
