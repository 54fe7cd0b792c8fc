"""Full flows over stdio: the parent only calls spawn_request (and waits); host hooks do the rest.

Also: ``session_wait`` wakes when another process promotes a queued session.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.helpers import BIN_DIR, clean_env, run_cli
from tests.test_lifecycle_hooks import fill, hook, load

pytestmark = pytest.mark.anyio


def server(workspace: Path) -> StdioServerParameters:
    return StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
                                 env=clean_env(), cwd=str(workspace))


def configure(workspace: Path, limit: int) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir(exist_ok=True)
    config = {"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": limit}}}}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def handoff_text(session: dict[str, Any]) -> str:
    return (f"- Task id: {session['task_id']}\n- Phase: {session['phase']}\n- Role: {session['role']}\n"
            f"- Runtime: {session['runtime']}\n- Session id: {session['session_id']}\n\n## Summary\n\nDone.\n")


@pytest.mark.sqlite_only  # host hooks over state.db
@pytest.mark.parametrize(("host", "mode"), [("claude-code", "legacy"), ("claude-code", "auto"),
                                            ("cursor", "legacy"), ("codex", "legacy")])
async def test_parent_only_spawns_and_hooks_do_the_rest(host: str, mode: str, workspace: Path) -> None:
    spec = load(host)
    runtime = spec["runtime"]
    configure(workspace, 3)
    async with Client(server(workspace), mode=mode) as client:  # type: ignore[arg-type]
        added = await client.call_tool("task_add", {"title": "minimal"})  # no id, no owner role
        assert added.structured_content is not None
        task_id = added.structured_content["id"]
        assert task_id == "T-1"
        spawned = await client.call_tool("spawn_request", {"task_id": task_id, "runtime": runtime})
        assert spawned.is_error is False and spawned.structured_content is not None
        result = spawned.structured_content
        assert result["status"] == "requested" and result["role"] == "developer"
        assert result["role_source"] == "default"
        sid = result["session_id"]
        prompt = (workspace / result["artifacts"]["prompt"]).read_text(encoding="utf-8")
        detail = await client.call_tool("session_get", {"session_id": sid})
        assert detail.structured_content is not None
        session = detail.structured_content["session"]
        transcript = workspace.parent / "child.jsonl"
        transcript.write_text(json.dumps({"type": "user", "content": prompt}) + "\n", encoding="utf-8")
        fields = {"CWD": str(workspace), "PROMPT": prompt, "FINAL": handoff_text(session),
                  "TRANSCRIPT": str(transcript)}
        for template in [*spec["start"], *spec["stop"]]:  # the host runs its hooks; the parent reports nothing
            done = await anyio.to_thread.run_sync(lambda t=template: hook(fill(t, fields), runtime, workspace))
            assert done.returncode == 0
        waited = await client.call_tool("session_wait", {"session_ids": [sid], "mode": "all", "timeout_s": 30})
        assert waited.structured_content is not None
        state = waited.structured_content
        assert state["done"] is True and state["timed_out"] is False
        assert state["sessions"][0]["status"] == "completed"
        timeline = await client.call_tool("session_get", {"session_id": sid})
        assert timeline.structured_content is not None
        steps = [t["to_status"] for t in timeline.structured_content["timeline"]]
        assert steps == ["requested", "spawned", "completed"]
        task = await client.call_tool("task_get", {"task_id": task_id})
        assert task.structured_content is not None and task.structured_content["status"] == "review"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_session_wait_wakes_on_a_promotion_by_another_process(mode: str, workspace: Path) -> None:
    configure(workspace, 1)
    async with Client(server(workspace), mode=mode) as client:  # type: ignore[arg-type]
        for task in ("W1", "W2"):
            await client.call_tool("task_add", {"id": task, "title": task, "owner_role": "developer"})
        first = await client.call_tool("spawn_request", {"task_id": "W1", "runtime": "claude-cli"})
        second = await client.call_tool("spawn_request", {"task_id": "W2", "runtime": "claude-cli"})
        assert first.structured_content is not None and second.structured_content is not None
        queued = second.structured_content["session_id"]
        assert second.structured_content["status"] == "queued"
        canceled_at: list[float] = []

        def cancel_elsewhere() -> None:
            time.sleep(1.0)  # let the wait start polling
            done = run_cli("session", "cancel", first.structured_content["session_id"], "--json", cwd=workspace)
            canceled_at.append(time.monotonic())
            assert done.returncode == 0, done.stderr

        thread = threading.Thread(target=cancel_elsewhere)
        thread.start()
        waited = await client.call_tool("session_wait", {"session_ids": [queued], "timeout_s": 45})
        returned_at = time.monotonic()
        thread.join()
        assert waited.structured_content is not None
        state = waited.structured_content
        assert state["changed"] == [queued] and state["timed_out"] is False
        assert state["sessions"][0]["status"] == "requested"
        assert canceled_at and returned_at - canceled_at[0] < 10  # safety bound against a wait to the timeout


def test_cli_terminal_view(workspace: Path) -> None:
    configure(workspace, 1)
    assert run_cli("task", "add", "--title", "one", cwd=workspace).returncode == 0
    assert run_cli("task", "add", "--title", "two", "--depends-on", "T-1", "--priority", "high",
                   cwd=workspace).returncode == 0
    nxt = run_cli("task", "next", "--json", cwd=workspace)
    data = json.loads(nxt.stdout)
    assert data["task"]["id"] == "T-1" and data["waiting"] == [{"task_id": "T-2", "waiting_for": ["T-1"]}]
    bad = run_cli("task", "update", "T-2", "--status", "in_progress", cwd=workspace)
    assert bad.returncode == 1 and "invalid_transition" in bad.stderr and "T-1 (planned)" in bad.stderr
    assert run_cli("task", "done", "T-1", cwd=workspace).returncode == 0
    nxt = json.loads(run_cli("task", "next", "--json", cwd=workspace).stdout)
    assert nxt["task"]["id"] == "T-2"
    listing = run_cli("session", "list", "--json", cwd=workspace)
    assert listing.returncode == 0 and json.loads(listing.stdout)["sessions"] == []
    missing = run_cli("session", "show", "nope", cwd=workspace)
    assert missing.returncode == 1 and "session_not_found" in missing.stderr


def test_hook_subcommand_help_goes_to_argparse(workspace: Path) -> None:
    done = subprocess.run([str(BIN_DIR / "orchestra"), "hook", "--help"], capture_output=True, text=True,
                          cwd=workspace, env=clean_env(), timeout=60, check=False)
    assert done.returncode == 0 and "SubagentStop" in done.stdout


def test_cli_chat_export(workspace: Path) -> None:
    from orchestra.app import Orchestra

    scope = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
    actor = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "mcp", "session_id": "s1"}
    with Orchestra.open(workspace) as app:
        thread = app.chat.create_thread(scope, "Design review", actor)
        app.chat.append_message(scope, thread.id, "the plan looks right", actor, "k-1")
    done = run_cli("chat", "export", "--task", "T-1", "--json", cwd=workspace)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    paths = [v for v in result.values() if isinstance(v, str) and v.endswith((".json", ".md")) and "://" not in v]
    assert paths and all((workspace / p).is_file() for p in paths)
    exported = "".join((workspace / p).read_text(encoding="utf-8") for p in paths)
    assert "Design review" in exported and "the plan looks right" in exported
    missing = run_cli("chat", "export", "--task", "nope", cwd=workspace)
    assert missing.returncode == 1 and "not_found" in missing.stderr
