"""``orchestra health`` as a subprocess: the record, the report, the fast path and its fallbacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_env, run_cli

# The per-prompt hook reads state.db with the stdlib; with PostgreSQL it finds no state (docs/operations.md).
pytestmark = pytest.mark.sqlite_only


def test_health_writes_the_record_and_reports(workspace: Path) -> None:
    assert run_cli("init", cwd=workspace).returncode == 0
    assert run_cli("task", "add", "T-1", "--title", "one", "--status", "in_progress", cwd=workspace).returncode == 0
    result = run_cli("health", "--runtime", "claude-cli", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["workspaceRoot"] == str(workspace.resolve())
    assert report["activeRuntime"]["runtime"] == "claude-cli"
    assert report["activeRuntime"]["status"] == "written"
    assert report["tasks"] == {"total": 1, "byStatus": {"in_progress": 1}}
    record = json.loads((workspace / ".agent-workflow" / "active-runtime.json").read_text())
    assert list(record) == ["runtime", "updatedAt", "writer", "pid", "sessionId"]
    assert record["runtime"] == "claude-cli" and record["writer"] == "hook"


def test_health_text_is_one_compact_line(initialized: Path) -> None:
    result = run_cli("health", "--runtime", "codex-cli", cwd=initialized)
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1 and len(result.stdout) < 300
    assert "runtime codex-cli (recorded by hook)" in result.stdout
    assert "tasks 0" in result.stdout


def test_health_in_an_uninitialized_folder_writes_nothing(workspace: Path) -> None:
    person = run_cli("health", "--runtime", "codex-cli", cwd=workspace)
    assert person.returncode == 0 and "not initialized" in person.stdout and "orchestra init" in person.stdout
    as_json = json.loads(run_cli("health", "--runtime", "claude-cli", "--json", cwd=workspace).stdout)
    assert as_json["initialized"] is False
    for flags in (["--quiet"], ["--hook-session"], ["--hook-session", "--json"]):
        hook = run_cli("health", "--runtime", "claude-cli", *flags, cwd=workspace,
                       input_text=json.dumps({"session_id": "s-1", "cwd": str(workspace)}))
        assert hook.returncode == 0 and hook.stdout == "" and hook.stderr == ""
    assert sorted(p.name for p in workspace.iterdir()) == [".git"]


def test_unknown_runtime_exits_1_before_any_write(workspace: Path) -> None:
    result = run_cli("health", "--runtime", "emacs", cwd=workspace)
    assert result.returncode == 1
    assert "unknown_runtime" in result.stderr and "claude-cli" in result.stderr
    assert not (workspace / ".agent-workflow").exists()
    assert result.stdout == ""


def test_without_runtime_it_reports_the_inferred_one(initialized: Path) -> None:
    workspace = initialized
    run_cli("health", "--runtime", "cursor-cli", "--quiet", cwd=workspace)
    report = json.loads(run_cli("health", "--json", cwd=workspace).stdout)
    assert report["activeRuntime"] == {"runtime": "cursor-cli", "status": "inferred", "source": "record"}
    env = clean_env(OPEN_ORCHESTRA_ACTIVE_RUNTIME="generic")
    other = workspace.parent / "other"
    other.mkdir()
    (other / ".git").mkdir()
    assert run_cli("init", cwd=other).returncode == 0
    report = json.loads(run_cli("health", "--json", cwd=other, env=env).stdout)
    assert report["activeRuntime"]["runtime"] == "generic-runtime"
    assert report["activeRuntime"]["source"] == "env"


def test_quiet_prints_nothing(initialized: Path) -> None:
    workspace = initialized
    result = run_cli("health", "--runtime", "cursor-cli", "--quiet", cwd=workspace)
    assert result.returncode == 0 and result.stdout == ""
    assert (workspace / ".agent-workflow" / "active-runtime.json").is_file()


def test_help_and_odd_flags_fall_back_to_argparse(initialized: Path) -> None:
    workspace = initialized
    help_text = run_cli("health", "--help", cwd=workspace)
    assert help_text.returncode == 0 and "--hook-session" in help_text.stdout
    bad = run_cli("health", "--bogus", cwd=workspace)
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr
    equals = run_cli("health", "--runtime=claude-cli", f"--workspace={workspace}", "--quiet", cwd=workspace.parent)
    assert equals.returncode == 0
    assert (workspace / ".agent-workflow" / "active-runtime.json").is_file()


def test_hook_path_imports_stay_light(initialized: Path) -> None:
    workspace = initialized
    code = (
        "import sys, io, contextlib\n"
        "from orchestra.cli.entry import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['health', '--runtime', 'claude-cli', '--json', '--workspace', {str(workspace)!r}])\n"
        "heavy = [m for m in ('mcp', 'pydantic', 'cryptography', 'argparse', 'typing', 'dataclasses', 'pathlib',\n"
        "                     'tempfile', 'hashlib', 'anyio') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=workspace)
    assert out.stdout.strip() == ""


def test_hook_session_warnings_go_to_stderr(initialized: Path) -> None:
    workspace = initialized
    result = run_cli("health", "--runtime", "claude-cli", "--hook-session", cwd=workspace, input_text="not json")
    assert result.returncode == 0
    assert "stdin is not JSON" not in result.stdout and "stdin is not JSON" in result.stderr
    as_json = run_cli("health", "--runtime", "claude-cli", "--hook-session", "--json", cwd=workspace,
                      input_text=json.dumps({"session_id": "abc", "cwd": str(workspace)}))
    report = json.loads(as_json.stdout)
    assert report["warnings"] == [] and report["activeRuntime"]["sessionId"] == "abc"
