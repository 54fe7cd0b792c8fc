"""A workspace in a bad state is refused with a clear, coded error, or served read-only (issue 14 item 7)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from orchestra.app import Orchestra
from orchestra.store.schema_name import workspace_schema
from tests.faults.support import error_text, read_only, server_params
from tests.helpers import BIN_DIR, clean_env, run_cli

pytestmark = pytest.mark.anyio


def _start(workspace: Path) -> subprocess.CompletedProcess[str]:
    """The stdio server's startup as a host sees it (stdin closed at once)."""
    return subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)], capture_output=True,
                          text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL, check=False)


def _with_history(workspace: Path) -> Path:
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
        app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
    return workspace / ".agent-workflow" / "state.db"


def test_deep_config_is_a_config_error_not_a_recursion_error(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    started = _start(workspace)
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert started.stderr.startswith("orchestra-mcp: config_invalid: config.json nests deeper than")
    (folder / "config.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    cli = run_cli("status", "--workspace", str(workspace))
    assert cli.returncode == 1 and "config_invalid" in cli.stderr and "Traceback" not in cli.stderr
    (folder / "config.json").write_text(json.dumps({"runtimePolicy": {"delegation": {"guardrails": {}}}}))
    assert run_cli("init", "--workspace", str(workspace)).returncode == 0  # ordinary nesting is fine
    assert run_cli("status", "--workspace", str(workspace)).returncode == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("version", [-1, 0])
def test_hand_edited_schema_version_is_refused(workspace: Path, version: int) -> None:
    db = _with_history(workspace)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {version}")
    started = _start(workspace)
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "store_unusable:" in started.stderr and "already exists" not in started.stderr


@pytest.mark.sqlite_only
def test_zero_length_database_beside_history_is_refused(workspace: Path) -> None:
    db = _with_history(workspace)
    db.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    started = _start(workspace)
    assert started.returncode == 1 and "store_unusable:" in started.stderr and "is empty (0 bytes)" in started.stderr
    assert db.stat().st_size == 0  # nothing was recreated over it
    cli = run_cli("audit", "verify", "--workspace", str(workspace))
    assert cli.returncode == 1 and "store_unusable" in cli.stderr


@pytest.mark.sqlite_only
def test_zero_length_database_in_a_new_workspace_is_created(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "state.db").write_bytes(b"")  # no key, no history: a brand-new workspace
    with Orchestra.open(workspace) as app:
        assert app.store.schema_version > 0


@pytest.mark.sqlite_only
def test_corrupt_database_is_refused(workspace: Path) -> None:
    db = _with_history(workspace)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 500)
    started = _start(workspace)
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "store_unusable: the state database is unusable" in started.stderr


async def test_read_only_workspace_serves_reads_and_refuses_writes(workspace: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the read-only view is another path: on PostgreSQL it must name the same schema as the workspace
    monkeypatch.setenv("ORCHESTRA_DATABASE_SCHEMA", workspace_schema(workspace))
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "T-1", "title": "readable", "owner_role": "developer"})
        sid = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"}).session_id
    with read_only(workspace) as view:
        async with Client(server_params(view), mode="legacy") as client:
            status = await client.call_tool("workspace_status", {})
            assert status.is_error is False and status.structured_content["tasks"] == 1
            listed = await client.call_tool("task_list", {})
            assert listed.is_error is False
            got = await client.call_tool("session_get", {"session_id": sid})
            assert got.is_error is False and got.structured_content["session"]["status"] == "requested"
            added = await client.call_tool("task_add", {"id": "T-2", "title": "cannot"})
            assert "read_only:" in error_text(added)
            spawned = await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"})
            assert "read_only:" in error_text(spawned)
        verified = run_cli("audit", "verify", "--workspace", str(view))
        assert verified.returncode == 0, verified.stderr
        shown = run_cli("task", "list", "--workspace", str(view))
        assert shown.returncode == 0 and "readable" in shown.stdout
