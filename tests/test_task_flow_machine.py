"""Task transitions, dependencies, sessions and task_next as a state machine across processes.

Three worker processes act on one workspace in turn; a pure model predicts every answer.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from orchestra.tasks.flow import ALLOWED, PRIORITY_ORDER
from tests.helpers import clean_env

WORKER = Path(__file__).parent / "workers" / "task_worker.py"
STATUSES = sorted(ALLOWED)
CONFIG = {"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": 256,
                                                          "maxSpawnsPerTask": 1000}}}}


class Workers:
    """Long-lived worker processes (shared by every example)."""

    def __init__(self, count: int) -> None:
        self.procs = [subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, env=clean_env(), cwd=str(WORKER.parent)) for _ in range(count)]

    def call(self, index: int, command: dict[str, Any]) -> dict[str, Any]:
        proc = self.procs[index % len(self.procs)]
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(command) + "\n")
        proc.stdin.flush()
        answer: dict[str, Any] = json.loads(proc.stdout.readline())
        return answer

    def close(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=60)


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    pool = Workers(3)
    yield pool
    pool.close()


class TaskModel:
    """What the store should say."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, str] = {}  # live session id -> task id
        self.counter = itertools.count(1)

    def unmet(self, task_id: str) -> list[str]:
        return [d for d in self.tasks[task_id]["deps"] if self.tasks[d]["status"] != "done"]

    def next(self) -> str | None:
        ready = [t for t, v in self.tasks.items() if v["status"] == "planned" and not self.unmet(t)]
        ready.sort(key=lambda t: (PRIORITY_ORDER[self.tasks[t]["priority"]], len(self.tasks[t]["deps"]),
                                  self.tasks[t]["order"]))
        return ready[0] if ready else None


def machine(pool: Workers) -> type[RuleBasedStateMachine]:
    class TaskFlow(RuleBasedStateMachine):
        @initialize()
        def fresh_workspace(self) -> None:
            self.dir = tempfile.TemporaryDirectory()
            root = Path(self.dir.name) / "ws"
            (root / ".git").mkdir(parents=True)
            (root / ".agent-workflow").mkdir()
            (root / ".agent-workflow" / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
            self.root = str(root)
            self.model = TaskModel()

        def call(self, worker: int, **command: Any) -> dict[str, Any]:
            return pool.call(worker, {"root": self.root, **command})

        def teardown(self) -> None:
            self.dir.cleanup()

        @rule(worker=st.integers(0, 2), data=st.data(), priority=st.sampled_from(["high", "medium", "low"]))
        def add(self, worker: int, data: st.DataObject, priority: str) -> None:
            existing = sorted(self.model.tasks)
            deps = data.draw(st.lists(st.sampled_from(existing), unique=True, max_size=3)) if existing else []
            answer = self.call(worker, op="add", title="t", depends_on=deps, priority=priority)
            n = next(self.model.counter)
            assert answer == {"ok": True, "id": f"T-{n}"}
            self.model.tasks[f"T-{n}"] = {"status": "planned", "deps": deps, "priority": priority, "order": n}

        @precondition(lambda self: bool(self.model.tasks))
        @rule(worker=st.integers(0, 2), data=st.data(), goal=st.sampled_from(STATUSES))
        def set_status(self, worker: int, data: st.DataObject, goal: str) -> None:
            task_id = data.draw(st.sampled_from(sorted(self.model.tasks)))
            task = self.model.tasks[task_id]
            answer = self.call(worker, op="update", id=task_id, status=goal)
            allowed = goal == task["status"] or goal in ALLOWED[task["status"]]
            if allowed and goal == "in_progress" and task["status"] != "in_progress" and self.model.unmet(task_id):
                allowed = False
            if allowed:
                assert answer == {"ok": True, "status": goal}
                task["status"] = goal
            else:
                assert answer["ok"] is False and answer["code"] == "invalid_transition", answer

        @precondition(lambda self: bool(self.model.tasks) and len(self.model.sessions) < 3)  # under capacity
        @rule(worker=st.integers(0, 2), data=st.data())
        def spawn(self, worker: int, data: st.DataObject) -> None:
            task_id = data.draw(st.sampled_from(sorted(self.model.tasks)))
            answer = self.call(worker, op="spawn", id=task_id)
            if self.model.unmet(task_id):
                assert answer["ok"] is False and answer["code"] == "delegation_rejected"
                assert "depends on" in answer["message"]
                return
            assert answer["ok"] is True and answer["status"] == "requested", answer
            self.model.sessions[answer["session_id"]] = task_id
            task = self.model.tasks[task_id]
            if task["status"] in ("planned", "blocked"):
                task["status"] = "in_progress"

        @precondition(lambda self: bool(self.model.sessions))
        @rule(worker=st.integers(0, 2), data=st.data(), outcome=st.sampled_from(["completed", "failed"]))
        def finish(self, worker: int, data: st.DataObject, outcome: str) -> None:
            sid = data.draw(st.sampled_from(sorted(self.model.sessions)))
            task_id = self.model.sessions.pop(sid)
            assert self.call(worker, op="finish", session_id=sid, status=outcome)["ok"] is True
            task = self.model.tasks[task_id]
            if outcome == "failed" and task["status"] in ("planned", "in_progress", "review"):
                task["status"] = "blocked"
            elif outcome == "completed" and task["status"] in ("planned", "in_progress", "blocked") \
                    and task_id not in self.model.sessions.values():
                task["status"] = "review"

        @rule(worker=st.integers(0, 2))
        def next_task(self, worker: int) -> None:
            assert self.call(worker, op="next") == {"ok": True, "id": self.model.next()}

        @invariant()
        def statuses_agree(self) -> None:
            if hasattr(self, "root"):
                answer = self.call(0, op="statuses")
                assert answer["statuses"] == {t: v["status"] for t, v in self.model.tasks.items()}

    return TaskFlow


def test_task_flow_state_machine(workers: Workers) -> None:
    flow = machine(workers)
    flow.TestCase.settings = settings(max_examples=6, stateful_step_count=15, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    flow.TestCase().runTest()


def test_generated_ids_are_unique_across_processes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    script = ("import sys; from pathlib import Path; from orchestra.app import Orchestra\n"
              "with Orchestra.open(Path(sys.argv[1])) as app:\n"
              "    print(' '.join(app.tasks.add({'title': 'x'}).id for _ in range(15)))\n")
    with Orchestra_open_once(root):
        procs = [subprocess.Popen([sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE, text=True,
                                  env=clean_env()) for _ in range(3)]
        ids = [i for p in procs for i in p.communicate(timeout=120)[0].split()]
    assert sorted(ids, key=lambda i: int(i[2:])) == [f"T-{n}" for n in range(1, 46)]


class Orchestra_open_once:
    def __init__(self, root: Path) -> None:
        self.root = root

    def __enter__(self) -> None:
        from orchestra.app import Orchestra

        Orchestra.open(self.root).close()

    def __exit__(self, *_: object) -> None:
        return None
