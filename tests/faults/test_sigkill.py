"""SIGKILL during writes: nothing acknowledged is lost, the chain verifies, the next open leaves no orphan."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from tests.faults.support import RawServer
from tests.helpers import clean_env, run_cli

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "mcp", "session_id": "s1"}
CALLS = 24
ACKED_BEFORE_KILL = 6


def _config(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir(exist_ok=True)
    guardrails = {"maxConcurrentDelegates": 64, "maxSpawnsPerTask": 1000}
    quota = {"maxActive": 64, "maxQueued": 1000, "maxActivePerProvider": 64, "maxActivePerRuntime": 64}
    (folder / "config.json").write_text(json.dumps({"runtimePolicy": {"delegation": {"guardrails": guardrails}},
                                                    "capacity": {"platform": quota, "tenant": quota,
                                                                 "workspace": quota},
                                                    "approvals": {"actions": []}}))  # no person to ask here


def _setup(workspace: Path, tool: str) -> dict[str, Any]:
    """The task, plus what ``tool``'s calls act on: sessions to update, a thread to append to, threads to delete."""
    state: dict[str, Any] = {}
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
        if tool == "session_update":
            state["sessions"] = [app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"}).session_id
                                 for _ in range(CALLS)]
        if tool == "chat_message_append":
            state["thread"] = app.chat.create_thread(SCOPE, "kill me", ACTOR).id
        if tool == "chat_delete":
            state["threads"] = [app.chat.create_thread(SCOPE, f"thread {i}", ACTOR).id for i in range(CALLS)]
    return state


Args = Callable[[dict[str, Any], int], dict[str, Any]]
Check = Callable[[Orchestra, dict[str, Any], int, dict[str, Any]], None]

TOOLS: dict[str, tuple[Args, Check]] = {
    "task_add": (lambda s, i: {"id": f"K-{i}", "title": f"killed {i}"},
                 lambda app, s, i, r: app.tasks.get(f"K-{i}") and None),
    "spawn_request": (lambda s, i: {"task_id": "T-1", "runtime": "claude-cli", "brief": f"job {i}"},
                      lambda app, s, i, r: app.delegation.get(r["session_id"]) and None),
    "session_update": (lambda s, i: {"session_id": s["sessions"][i], "status": "spawned", "agent_id": f"a-{i}"},
                       lambda app, s, i, r: _assert(app.delegation.get(s["sessions"][i]).session.status
                                                    == "spawned")),
    "chat_message_append": (lambda s, i: {"thread_id": s["thread"], "text": f"line {i}",
                                          "actor": ACTOR, "idempotency_key": f"k-{i}"},
                            lambda app, s, i, r: _assert(any(
                                m.id == r["message"]["id"]
                                for m in app.chat.list_messages(SCOPE, s["thread"], limit=100).messages))),
    "chat_thread_create": (lambda s, i: {**SCOPE, "title": f"new {i}", "actor": ACTOR},
                           lambda app, s, i, r: _assert(app.chat.get_thread(r["id"], SCOPE).id == r["id"])),
    "chat_delete": (lambda s, i: {"scope": "thread", "thread_id": s["threads"][i], "reason_code": "user_request",
                                  "actor_id": "auditor-1", "actor_role": "auditor"},
                    lambda app, s, i, r: _assert(r["deleted_threads"] == [s["threads"][i]])),
}


def _assert(condition: bool) -> None:
    assert condition


def _no_leftovers(workspace: Path, app: Orchestra) -> None:
    folder = workspace / ".agent-workflow"
    assert not list(folder.rglob("*.tmp")), "a temp file survived the next open"
    with app.store.read() as tx:
        referenced = {v for row in tx.fetchall("SELECT artifacts FROM delegation_sessions")
                      for v in json.loads(row["artifacts"]).values() if isinstance(v, str)}
    runs = folder / "runs"
    orphans = [p.name for p in runs.iterdir() if f".agent-workflow/runs/{p.name}" not in referenced] \
        if runs.is_dir() else []
    assert orphans == []


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_sigkill_during_a_writing_tool_loses_nothing_acknowledged(workspace: Path, tool: str) -> None:
    _config(workspace)
    state = _setup(workspace, tool)
    make_args, check = TOOLS[tool]
    server = RawServer(workspace, "--tools", "all")
    try:
        for i in range(CALLS):  # pipelined: the kill lands while later calls are in flight
            server.call(100 + i, tool, make_args(state, i))
        acked: dict[int, dict[str, Any]] = {}
        while len(acked) < ACKED_BEFORE_KILL:
            reply = server.reply()
            assert "error" not in reply and reply["result"].get("isError") is not True, reply
            acked[int(reply["id"]) - 100] = reply["result"]["structuredContent"]
    finally:
        server.kill()
    assert server.proc.returncode == -signal.SIGKILL
    with Orchestra.open(workspace) as app:  # the next open sweeps what the kill left
        for i, result in acked.items():
            check(app, state, i, result)
        _no_leftovers(workspace, app)
    verified = run_cli("audit", "verify", "--workspace", str(workspace))
    assert verified.returncode == 0, verified.stdout + verified.stderr


KILL_INSIDE_SPAWN = r"""
import os, signal, sys
from pathlib import Path
from orchestra.app import Orchestra
from orchestra.delegation import artifacts
from orchestra.workspace import atomic

def die(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)

with Orchestra.open(Path(sys.argv[1])) as app:
    if sys.argv[2] == "artifacts":  # every artifact written, the row not yet committed
        artifacts.sync_folders = die
        app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
    else:  # a temp file written, not yet renamed into place
        atomic.os.replace = die
        atomic.atomic_write_text(app.layout.workflow_dir / "exports" / "x.json", "{}")
"""


@pytest.mark.parametrize("moment", ["artifacts", "temp"])
def test_sigkill_at_the_worst_moment_leaves_nothing_after_the_next_open(workspace: Path, moment: str) -> None:
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
    killed = subprocess.run([sys.executable, "-c", KILL_INSIDE_SPAWN, str(workspace), moment], env=clean_env(),
                            capture_output=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    folder = workspace / ".agent-workflow"
    left = [p for p in folder.rglob("*") if p.is_file() and ("/runs/" in str(p) or p.name.endswith(".tmp"))]
    assert left, "the kill should have left files behind"
    with Orchestra.open(workspace) as app:
        assert app.delegation.counts() == {}
        _no_leftovers(workspace, app)
    assert run_cli("audit", "verify", "--workspace", str(workspace)).returncode == 0
