"""The sub-agent lifecycle from host hooks: the real ``orchestra hook`` entry point as a subprocess.

Payloads are each host's documented hook input (tests/data/hook_payloads/*.json). The parent
reports nothing: the start hook records ``spawned``, the stop hook leaves the final message
for the next sweep, which completes or fails the session, frees its slot and promotes the
queued request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.runtime.install.commands import Executables, lifecycle_command
from tests.helpers import BIN_DIR, clean_env, run_cli

# The lifecycle hook is a stdlib fast path over state.db; with PostgreSQL it records nothing (docs/operations.md).
pytestmark = pytest.mark.sqlite_only


DATA = Path(__file__).parent / "data" / "hook_payloads"
HOSTS = ("claude-code", "cursor", "codex")
CONFIG = {"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": 1}}}}


def load(host: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{host}.json").read_text(encoding="utf-8"))
    return data


def fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{{" + key + "}}", value)
        return template
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def hook(payload: dict[str, Any], runtime: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN_DIR / "orchestra"), "hook", payload["hook_event_name"], "--runtime", runtime],
                          input=json.dumps(payload), cwd=cwd, env=clean_env(ORCHESTRA_HOOK_DEBUG="1"),
                          capture_output=True, text=True, timeout=60, check=False)


def contract(app: Orchestra, session_id: str, body: str = "All criteria met.") -> str:
    s = app.delegation.get(session_id).session
    return (f"- Task id: {s.task_id}\n- Phase: {s.phase}\n- Role: {s.role}\n- Runtime: {s.runtime}\n"
            f"- Session id: {s.session_id}\n\n## Summary\n\n{body}\n\n## Consumed Context Files\n\n- none\n\n"
            "## Test Scenarios and Expected Results\n\n- ran the suite: green\n")


def setup(open_app: Callable[[dict[str, Any]], Orchestra], runtime: str) -> tuple[Orchestra, str, str]:
    app = open_app(CONFIG)
    app.tasks.add({"id": "T1", "title": "first", "owner_role": "developer"})
    app.tasks.add({"id": "T2", "title": "second", "owner_role": "developer"})
    first = app.delegation.spawn({"task_id": "T1", "runtime": runtime}).session_id
    second = app.delegation.spawn({"task_id": "T2", "runtime": runtime})
    assert second.status == "queued"
    return app, first, second.session_id


def values(app: Orchestra, workspace: Path, session_id: str, final: str) -> dict[str, str]:
    prompt = app.delegation.prompt_text(session_id)
    transcript = workspace.parent / f"transcript-{abs(hash(session_id))}.jsonl"
    transcript.write_text(json.dumps({"type": "user", "message": {"role": "user", "content": prompt}}) + "\n",
                          encoding="utf-8")
    return {"CWD": str(workspace), "PROMPT": prompt, "FINAL": final, "TRANSCRIPT": str(transcript)}


def expected_stdout(runtime: str) -> str:
    return "{}\n" if runtime == "cursor-cli" else ""


@pytest.mark.parametrize("outcome", ["handoff", "final-message", "nothing"])
@pytest.mark.parametrize("host", HOSTS)
def test_start_and_stop_hooks_finish_the_session(host: str, outcome: str, workspace: Path,
                                                 open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    spec = load(host)
    runtime = spec["runtime"]
    app, first, second = setup(open_app, runtime)
    final = {"handoff": "Done, see the handoff file.", "final-message": contract(app, first),
             "nothing": "I ran out of time."}[outcome]
    fields = values(app, workspace, first, final)
    for template in spec["start"]:
        done = hook(fill(template, fields), runtime, workspace)
        assert done.returncode == 0 and done.stdout == expected_stdout(runtime)
    assert app.delegation.get(first).session.status == "spawned"
    assert app.tasks.get("T1").status == "in_progress"
    if outcome == "handoff":
        handoff = workspace / app.delegation.get(first).session.artifacts.expected_result
        handoff.parent.mkdir(parents=True, exist_ok=True)
        handoff.write_text(contract(app, first), encoding="utf-8")
    for template in spec["stop"]:
        done = hook(fill(template, fields), runtime, workspace)
        assert done.returncode == 0 and done.stdout == expected_stdout(runtime)
    assert app.delegation.get(second).session.status == "requested"  # get() sweeps: the slot was freed
    detail = app.delegation.get(first)
    assert [t.to_status for t in detail.timeline] == ["requested", "spawned",
                                                      "failed" if outcome == "nothing" else "completed"]
    if outcome == "nothing":
        assert detail.session.summary is not None
        assert detail.session.summary.startswith("the child stopped without a valid handoff")
        assert "no handoff file at" in detail.session.summary
        task = app.tasks.get("T1")
        assert task.status == "blocked" and task.status_reason and "without a valid handoff" in task.status_reason
    else:
        assert app.tasks.get("T1").status == "review"
    if outcome == "handoff":
        assert detail.session.artifacts.result == detail.session.artifacts.expected_result
    if outcome == "final-message":
        assert detail.session.result is not None and detail.session.result["source"] == "final-message"
        assert "All criteria met." in detail.session.result["summary"]
    assert app.events.verify().ok
    assert not list((workspace / ".agent-workflow" / "runtime-sessions" / "pending").glob("*.json"))


@pytest.mark.parametrize("host", HOSTS)
def test_duplicated_and_reordered_events_are_idempotent(host: str, workspace: Path,
                                                        open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    spec = load(host)
    runtime = spec["runtime"]
    app, first, second = setup(open_app, runtime)
    fields = values(app, workspace, first, contract(app, first))
    starts = [fill(t, fields) for t in spec["start"]]
    stops = [fill(t, fields) for t in spec["stop"]]
    for payload in [*stops, *starts, *stops, *starts]:  # the stop arrives first, then everything twice
        assert hook(payload, runtime, workspace).returncode == 0
    app.delegation.list_sessions()
    for payload in [*starts, *stops]:  # late repeats after the session finished change nothing
        assert hook(payload, runtime, workspace).returncode == 0
    app.delegation.list_sessions()
    steps = [t.to_status for t in app.delegation.get(first).timeline]
    assert steps[-1] == "completed" and steps.count("completed") == 1 and steps.count("spawned") <= 1
    assert app.delegation.get(second).session.status == "requested"
    assert app.events.verify().ok


def test_the_next_sweep_can_be_another_process(workspace: Path,
                                               open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    spec = load("claude-code")
    app, first, second = setup(open_app, "claude-cli")
    fields = values(app, workspace, first, contract(app, first))
    for template in [*spec["start"], *spec["stop"]]:
        assert hook(fill(template, fields), "claude-cli", workspace).returncode == 0
    listed = run_cli("session", "list", "--json", cwd=workspace)
    assert listed.returncode == 0, listed.stderr
    statuses = {s["session_id"]: s["status"] for s in json.loads(listed.stdout)["sessions"]}
    assert statuses == {first: "completed", second: "requested"}


def test_start_links_by_agent_id_when_the_payload_has_no_prompt(workspace: Path,
                                                               open_app: Callable[[dict[str, Any]],
                                                                                  Orchestra]) -> None:
    spec = load("codex")
    app, first, _ = setup(open_app, "codex-cli")
    fields = values(app, workspace, first, "no contract here")
    pre, post, _start = (fill(t, fields) for t in spec["start"])
    assert hook(pre, "codex-cli", workspace).returncode == 0
    assert hook(post, "codex-cli", workspace).returncode == 0
    assert app.delegation.get(first).session.agent_id == "019a-codex-child-1"
    stop = fill(spec["stop"][0], fields)
    stop.pop("agent_transcript_path")  # only the agent id links this stop to the session
    assert hook(stop, "codex-cli", workspace).returncode == 0
    summary = app.delegation.get(first).session.summary
    assert app.delegation.get(first).session.status == "failed"
    assert summary is not None and "final message: metadata missing: 'Task id:' line" in summary


@pytest.mark.parametrize("host", HOSTS)
def test_hooks_in_an_uninitialized_folder_create_nothing(host: str, tmp_path: Path) -> None:
    spec = load(host)
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / ".git").mkdir()
    fields = {"CWD": str(folder), "PROMPT": "- Session id: T1:manual:dev:claude-cli:abcdef", "FINAL": "done",
              "TRANSCRIPT": str(folder / "missing.jsonl")}
    for template in [*spec["start"], *spec["stop"]]:
        done = hook(fill(template, fields), spec["runtime"], folder)
        assert done.returncode == 0 and done.stdout == expected_stdout(spec["runtime"])
        assert "not-initialized" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == [".git"]


@pytest.mark.parametrize("runtime", ["claude-cli", "cursor-cli", "codex-cli"])
def test_installed_command_is_silent_without_orchestra(runtime: str, tmp_path: Path) -> None:
    command = lifecycle_command(Executables(str(tmp_path / "missing" / "orchestra"), "orchestra-mcp"), runtime,
                                "SubagentStop")
    done = subprocess.run(["sh", "-c", command], input="{}", capture_output=True, text=True, cwd=tmp_path,
                          timeout=30, check=False)
    assert done.returncode == 0 and done.stdout == expected_stdout(runtime) and done.stderr == ""


def test_hook_entry_point_imports_no_heavy_module(workspace: Path,
                                                  open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    spec = load("claude-code")
    app, first, _ = setup(open_app, "claude-cli")
    payload = fill(spec["start"][0], values(app, workspace, first, "x"))
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "orchestra.cli.entry", "hook", "PreToolUse",
                           "--runtime", "claude-cli"], input=json.dumps(payload), cwd=workspace,
                          env=clean_env(), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    modules = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "orchestra.runtime.hook" in modules and "orchestra.events.chain" in modules
    heavy = {m for m in modules if m.split(".")[0] in {"pydantic", "mcp", "cryptography", "anyio", "argparse"}}
    assert heavy == set()
    assert app.delegation.get(first).session.status == "spawned"


def test_unknown_session_and_unrelated_tools_are_ignored(workspace: Path,
                                                         open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    app, first, _ = setup(open_app, "claude-cli")
    bash = {"session_id": "p", "cwd": str(workspace), "hook_event_name": "PreToolUse", "tool_name": "Bash",
            "tool_input": {"command": f"echo 'Session id: {first}'"}}
    assert "ignored" in hook(bash, "claude-cli", workspace).stderr
    other = {"session_id": "p", "cwd": str(workspace), "hook_event_name": "SubagentStop", "agent_id": "x",
             "last_assistant_message": "- Session id: T9:manual:developer:claude-cli:000000"}
    assert "no-session" in hook(other, "claude-cli", workspace).stderr
    assert app.delegation.get(first).session.status == "requested"
    assert not os.path.exists(workspace / ".agent-workflow" / "runtime-sessions" / "pending")


def test_handoff_watcher_completes_without_any_hook(workspace: Path,
                                                    open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    app = open_app({})
    app.tasks.add({"id": "W1", "title": "watched", "owner_role": "developer"})
    good = app.delegation.spawn({"task_id": "W1", "runtime": "claude-cli"}).session_id
    bad = app.delegation.spawn({"task_id": "W1", "runtime": "claude-cli"}).session_id
    for sid, text in ((good, contract(app, good)), (bad, "no contract lines\n")):
        path = workspace / app.delegation.get(sid).session.artifacts.expected_result
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (path.stat().st_atime - 60, path.stat().st_mtime - 60))  # written a while ago
    app.delegation.list_sessions()
    assert app.delegation.get(good).session.status == "completed"
    assert app.delegation.get(bad).session.status == "requested"  # an invalid file waits for a fix or the stop


@pytest.mark.anyio
async def test_the_next_call_of_any_tool_settles_a_stop(workspace: Path, app: Orchestra) -> None:
    from mcp import Client

    from orchestra.delegation import repository as repo
    from orchestra_mcp.server import create_server

    app.tasks.add({"id": "N1", "title": "n", "owner_role": "developer"})
    async with Client(create_server(app), mode="legacy") as client:
        spawned = await client.call_tool("spawn_request", {"task_id": "N1", "runtime": "claude-cli"})
        assert spawned.structured_content is not None
        sid = spawned.structured_content["session_id"]
        stop = {"session_id": "p", "cwd": str(workspace), "hook_event_name": "SubagentStop", "agent_id": "a9",
                "last_assistant_message": contract(app, sid)}
        assert "pending" in hook(stop, "claude-cli", workspace).stderr
        with app.store.read() as tx:
            row = repo.get_row(tx, sid)
            assert row is not None and row["status"] == "requested"
        listed = await client.call_tool("task_list", {})  # not a delegation tool
        assert listed.is_error is False
        with app.store.read() as tx:
            row = repo.get_row(tx, sid)
            assert row is not None and row["status"] == "completed"
