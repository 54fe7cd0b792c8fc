"""A hypothesis state machine over the session lifecycle, with expiry and promotion."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orchestra.delegation.errors import InvalidTransitionError
from orchestra.delegation.lifecycle import ALLOWED, RESERVING, TARGET_STATUS
from orchestra.errors import OrchestraError
from tests.delegation.conftest import FakeClock, open_app

UPDATES = sorted(TARGET_STATUS)
MAX_CONCURRENT, MAX_PER_TASK = 2, 2
SYSTEM_STEPS = {("queued", "requested"), *((s, "timed_out") for s in RESERVING)}


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="orchestra-sm-"))
        (self.folder / ".git").mkdir()
        self.clock = FakeClock()
        self.app = open_app(self.folder, self.clock, maxConcurrentDelegates=MAX_CONCURRENT,
                            maxSpawnsPerTask=MAX_PER_TASK)
        self.sessions: list[str] = []

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(task=st.sampled_from(["T-1", "T-2", "T-3"]))
    def spawn(self, task: str) -> None:
        result = self.app.delegation.spawn({"task_id": task, "runtime": "claude-cli"})
        assert result.status in ("requested", "queued")
        self.sessions.append(result.session_id)

    @precondition(lambda self: bool(self.sessions))
    @rule(index=st.integers(min_value=0, max_value=10_000), update=st.sampled_from(UPDATES))
    def update(self, index: int, update: str) -> None:
        sid = self.sessions[index % len(self.sessions)]
        before = self.app.delegation.get(sid).session.status
        payload: dict[str, object] = {"session_id": sid, "status": update}
        if update == "completed":
            payload["result"] = {"summary": "done"}
        try:
            result = self.app.delegation.update(payload)
        except InvalidTransitionError:
            assert update not in ALLOWED[self.app.delegation.get(sid).session.status]
            return
        except OrchestraError as exc:  # pragma: no cover - any other error is a bug
            raise AssertionError(f"unexpected {exc}") from exc
        after = result.session.status
        if result.replayed:
            assert after == TARGET_STATUS[update]
        else:
            assert after == TARGET_STATUS[update], (before, update, after)

    @rule(minutes=st.sampled_from([1, 5, 11, 31]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.app.delegation.sweep()

    @invariant()
    def limits_hold_and_queue_is_drained(self) -> None:
        listing = self.app.delegation.list_sessions(include_closed=True, limit=500)
        reserving = [s for s in listing.sessions if s.status in RESERVING]
        assert len(reserving) <= MAX_CONCURRENT
        per_task: dict[str, int] = {}
        for s in reserving:
            per_task[s.task_id] = per_task.get(s.task_id, 0) + 1
        assert all(n <= MAX_PER_TASK for n in per_task.values())
        free = MAX_CONCURRENT - len(reserving)
        waiting = [s for s in listing.sessions if s.status == "queued"]
        if free > 0:  # a queued request may only wait if its task is at its own limit
            assert all(per_task.get(s.task_id, 0) >= MAX_PER_TASK for s in waiting)

    @invariant()
    def every_timeline_is_a_legal_path(self) -> None:
        for sid in self.sessions[-5:]:
            timeline = self.app.delegation.get(sid).timeline
            assert timeline[0].from_status is None and timeline[0].to_status in ("requested", "queued")
            for step in timeline[1:]:
                pair = (step.from_status, step.to_status)
                allowed_targets = {TARGET_STATUS[u] for u in ALLOWED[str(step.from_status)]}
                assert pair in SYSTEM_STEPS or step.to_status in allowed_targets, pair

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert self.app.events.verify().ok


TestLifecycle = LifecycleMachine.TestCase
TestLifecycle.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
