"""The installed hook commands, run for real with the stdin each host sends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestra.runtime.record import read_active_runtime
from tests.helpers import BIN_DIR, clean_env, run_cli

# The per-prompt hook reads state.db with the stdlib; with PostgreSQL it finds no state (docs/operations.md).
pytestmark = pytest.mark.sqlite_only


REPO = Path(__file__).resolve().parent.parent


def _installed(root: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("init", "--target", "claude,cursor,codex", *extra, cwd=root)
    assert result.returncode == 0, result.stderr
    claude = json.loads((root / ".claude/settings.json").read_text())["hooks"]
    cursor = json.loads((root / ".cursor/hooks.json").read_text())["hooks"]
    codex = json.loads((root / ".codex/hooks.json").read_text())["hooks"]
    return {
        "claude-start": claude["SessionStart"][0]["hooks"][0]["command"],
        "claude-prompt": claude["UserPromptSubmit"][0]["hooks"][0]["command"],
        "cursor-start": cursor["sessionStart"][0]["command"],
        "cursor-prompt": cursor["beforeSubmitPrompt"][0]["command"],
        "codex-prompt": codex["UserPromptSubmit"][0]["hooks"][0]["command"],
    }


def _run(command: str, stdin: dict[str, Any] | str, *, cwd: Path,
         env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    text = stdin if isinstance(stdin, str) else json.dumps(stdin)
    return subprocess.run(["/bin/sh", "-c", command], input=text, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_claude_hooks_write_a_session_record_and_print_one_line(workspace: Path, tmp_path: Path) -> None:
    commands = _installed(workspace)
    env_file = tmp_path / "claude.env"
    env_file.write_text("")
    env = clean_env(CLAUDE_PROJECT_DIR=str(workspace), CLAUDE_ENV_FILE=str(env_file))
    start = {"session_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "transcript_path": "/tmp/t.jsonl",
             "cwd": str(workspace), "hook_event_name": "SessionStart", "source": "startup", "model": "opus"}
    result = _run(commands["claude-start"], start, cwd=workspace, env=env)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Orchestra: workspace ") and result.stdout.count("\n") == 1
    assert env_file.read_text() == f"export OPEN_ORCHESTRA_SESSION_ID='{start['session_id']}'\n"
    prompt = {**start, "hook_event_name": "UserPromptSubmit", "prompt": "fix the bug", "permission_mode": "default"}
    result = _run(commands["claude-prompt"], prompt, cwd=workspace, env=clean_env(CLAUDE_PROJECT_DIR=str(workspace)))
    assert result.returncode == 0 and "runtime claude-cli (recorded by hook)" in result.stdout
    shared = read_active_runtime(workspace)
    assert shared.status == "fresh" and shared.record is not None
    assert shared.record.runtime == "claude-cli" and shared.record.session_id == start["session_id"]
    assert read_active_runtime(workspace, session_id=start["session_id"]).status == "fresh"


def test_cursor_hooks_answer_json_and_find_the_workspace_from_stdin(workspace: Path, tmp_path: Path) -> None:
    commands = _installed(workspace)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    payload = {"conversation_id": "conv-42", "generation_id": "gen-1", "hook_event_name": "beforeSubmitPrompt",
               "workspace_roots": [str(workspace)], "prompt": "hi", "cursor_version": "2.0"}
    result = _run(commands["cursor-prompt"], payload, cwd=elsewhere, env=clean_env())
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"continue": True}
    start = _run(commands["cursor-start"], {**payload, "hook_event_name": "sessionStart"}, cwd=elsewhere,
                 env=clean_env())
    assert json.loads(start.stdout) == {}
    found = read_active_runtime(workspace, session_id="conv-42")
    assert found.status == "fresh" and found.record is not None and found.record.runtime == "cursor-cli"
    assert not (elsewhere / ".agent-workflow").exists()


def test_codex_hook_is_silent(workspace: Path) -> None:
    commands = _installed(workspace)
    payload = {"session_id": "thread-9", "turn_id": "t1", "cwd": str(workspace), "hook_event_name": "UserPromptSubmit",
               "model": "gpt-5", "permission_mode": "default", "source": "cli", "transcript_path": None}
    result = _run(commands["codex-prompt"], payload, cwd=workspace, env=clean_env())
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    found = read_active_runtime(workspace)
    assert found.record is not None and found.record.runtime == "codex-cli" and found.record.session_id == "thread-9"


def test_hooks_degrade_silently_without_orchestra(workspace: Path) -> None:
    commands = _installed(workspace, "--portable")
    assert commands["claude-prompt"].startswith("(command -v orchestra ")
    env = clean_env(PATH="/usr/bin:/bin")
    claude = _run(commands["claude-prompt"], {"session_id": "s"}, cwd=workspace, env=env)
    assert claude.returncode == 0 and claude.stdout == "" and claude.stderr == ""
    cursor = _run(commands["cursor-prompt"], {"conversation_id": "c"}, cwd=workspace, env=env)
    assert cursor.returncode == 0 and json.loads(cursor.stdout) == {"continue": True}
    assert not (workspace / ".agent-workflow" / "active-runtime.json").exists()


def test_garbage_stdin_still_records_and_never_fails(workspace: Path) -> None:
    commands = _installed(workspace)
    for stdin in ("not json", "[1, 2]", '{"session_id": "has spaces in it"}', "x" * 70_000, ""):
        result = _run(commands["claude-prompt"], stdin, cwd=workspace, env=clean_env())
        assert result.returncode == 0 and result.stdout.startswith("Orchestra:")
        cursor = _run(commands["cursor-prompt"], stdin, cwd=workspace, env=clean_env())
        assert json.loads(cursor.stdout) == {"continue": True}
    assert read_active_runtime(workspace).status == "fresh"


@pytest.mark.slow
def test_twenty_concurrent_hooks_leave_a_valid_record(workspace: Path) -> None:
    commands = _installed(workspace)
    env = clean_env(CLAUDE_PROJECT_DIR=str(workspace))
    procs = [
        subprocess.Popen(["/bin/sh", "-c", commands["claude-prompt" if n % 2 else "cursor-prompt"]],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workspace,
                         env=env, text=True)
        for n in range(20)
    ]
    for n, proc in enumerate(procs):  # every hook gets its stdin at once (they read it with a 2 s bound)
        key = "session_id" if n % 2 else "conversation_id"
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({key: f"s-{n}", "workspace_roots": [str(workspace)]}))
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(timeout=60) == 0  # hook output is a line at most: the pipes never fill
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    found = read_active_runtime(workspace)
    assert found.status == "fresh" and found.record is not None
    assert found.record.runtime in ("claude-cli", "cursor-cli")
    data = json.loads((workspace / ".agent-workflow" / "active-runtime.json").read_text())
    assert data["sessionId"].startswith("s-")
    leftovers = [p.name for p in (workspace / ".agent-workflow").rglob("*.tmp")]
    assert leftovers == []
    assert len(list((workspace / ".agent-workflow" / "runtime-sessions").iterdir())) == 20


@pytest.mark.parametrize(("script", "args", "expected"), [
    ("claude-code.sh", [], "Orchestra: workspace"),
    ("cursor.sh", ["beforeSubmitPrompt"], '{"continue":true}'),
    ("cursor.sh", ["sessionStart"], "{}"),
    ("codex.sh", [], ""),
])
def test_hook_scripts(initialized: Path, script: str, args: list[str], expected: str) -> None:
    workspace = initialized
    path = REPO / "hooks" / script
    payload = json.dumps({"session_id": "sc-1", "conversation_id": "sc-1", "workspace_roots": [str(workspace)],
                          "cwd": str(workspace)})
    env = clean_env(ORCHESTRA_BIN=str(BIN_DIR / "orchestra"), CLAUDE_PROJECT_DIR=str(workspace))
    result = subprocess.run([str(path), *args], input=payload, cwd=workspace, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith(expected) if expected else result.stdout == ""
    assert read_active_runtime(workspace, session_id="sc-1").status == "fresh"
    missing = subprocess.run([str(path), *args], input=payload, cwd=workspace, capture_output=True, text=True,
                             env=clean_env(ORCHESTRA_BIN="/nonexistent/orchestra"), timeout=60, check=False)
    assert missing.returncode == 0 and missing.stderr == ""
    assert missing.stdout == ("" if script in ("claude-code.sh", "codex.sh") else result.stdout)


@pytest.mark.parametrize(("script", "args", "expected"), [
    ("claude-code.sh", [], ""),
    ("cursor.sh", ["beforeSubmitPrompt"], '{"continue":true}\n'),
    ("cursor.sh", ["sessionStart"], "{}\n"),
    ("codex.sh", [], ""),
])
def test_hook_scripts_in_an_uninitialized_folder_create_nothing(workspace: Path, script: str, args: list[str],
                                                               expected: str) -> None:
    payload = json.dumps({"session_id": "sc-2", "conversation_id": "sc-2", "workspace_roots": [str(workspace)],
                          "cwd": str(workspace)})
    env = clean_env(ORCHESTRA_BIN=str(BIN_DIR / "orchestra"), CLAUDE_PROJECT_DIR=str(workspace))
    result = subprocess.run([str(REPO / "hooks" / script), *args], input=payload, cwd=workspace, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == expected
    assert sorted(p.name for p in workspace.iterdir()) == [".git"]
