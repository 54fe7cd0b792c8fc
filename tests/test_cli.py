"""The ``orchestra`` CLI as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import clean_env, run_cli


def test_init_status_task_audit(workspace: Path) -> None:
    ws = str(workspace)
    init = run_cli("init", "--workspace", ws, "--json")
    assert init.returncode == 0, init.stderr
    report = json.loads(init.stdout)
    assert ".agent-workflow/config.json" in report["created"]
    again = run_cli("init", "--workspace", ws, "--json")
    assert json.loads(again.stdout)["created"] == []

    added = run_cli("task", "add", "T-1", "--title", "First", "--criterion", "works", "--path", "src",
                    "--owner-role", "developer", "--workspace", ws)
    assert added.returncode == 0, added.stderr
    shown = run_cli("task", "show", "T-1", "--json", "--workspace", ws)
    assert json.loads(shown.stdout)["acceptance_criteria"] == ["works"]
    listed = run_cli("task", "list", "--workspace", ws)
    assert "T-1" in listed.stdout and "planned" in listed.stdout

    status = json.loads(run_cli("status", "--json", "--workspace", ws).stdout)
    assert status["tasks"] == 1 and status["events"] == 2
    verify = run_cli("audit", "verify", "--workspace", ws)
    assert verify.returncode == 0 and "2 events verified" in verify.stdout


def test_errors_are_one_line_and_nonzero(workspace: Path) -> None:
    ws = str(workspace)
    run_cli("task", "add", "T", "--title", "x", "--workspace", ws)
    dup = run_cli("task", "add", "T", "--title", "x", "--workspace", ws)
    assert dup.returncode == 1
    assert dup.stderr == "orchestra: task_exists: task 'T' already exists\n"
    bad = run_cli("task", "add", "../T", "--title", "x", "--workspace", ws)
    assert bad.returncode == 1 and bad.stderr.startswith("orchestra: invalid_input:")
    escape = run_cli("task", "add", "U", "--title", "x", "--path", "../../etc", "--workspace", ws)
    assert escape.returncode == 1 and "path_outside_workspace" in escape.stderr
    missing = run_cli("task", "show", "nope", "--workspace", ws)
    assert missing.returncode == 1 and "task_not_found" in missing.stderr
    usage = run_cli("task", "--workspace", ws)
    assert usage.returncode == 2


@pytest.mark.sqlite_only
def test_corrupt_config_is_reported_and_nothing_written(workspace: Path) -> None:
    (workspace / ".agent-workflow").mkdir()
    (workspace / ".agent-workflow" / "config.json").write_text(
        '{"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": "many"}}}}')
    result = run_cli("task", "add", "T", "--title", "x", "--workspace", str(workspace))
    assert result.returncode == 1
    assert "config_invalid" in result.stderr and "maxConcurrentDelegates" in result.stderr
    assert not (workspace / ".agent-workflow" / "state.db").exists()


def test_workspace_from_environment_and_search(workspace: Path) -> None:
    env = clean_env(ORCHESTRA_WORKSPACE=str(workspace))
    assert run_cli("init", env=env).returncode == 0
    nested = workspace / "src" / "deep"
    nested.mkdir(parents=True)
    status = run_cli("status", "--json", cwd=nested)
    assert json.loads(status.stdout)["root"] == str(workspace.resolve())


def test_serve_speaks_mcp_with_tool_groups(workspace: Path) -> None:
    import subprocess

    from tests.helpers import BIN_DIR

    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    proc = subprocess.Popen([str(BIN_DIR / "orchestra"), "serve", "--workspace", str(workspace), "--tools", "chat"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env())
    assert proc.stdin is not None and proc.stdout is not None
    for message in requests:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
    answers = [json.loads(proc.stdout.readline()) for _ in range(2)]
    proc.communicate(timeout=30)
    names = {t["name"] for t in answers[1]["result"]["tools"]}
    assert "chat_respond" in names and "spawn_request" in names and "content_scan" not in names
