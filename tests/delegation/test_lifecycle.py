"""session_update: transitions, idempotent repeats, completion contract, expiry and promotion."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.delegation.errors import InvalidTransitionError, ResultContractError, SessionNotFoundError
from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from tests.delegation.conftest import FakeClock, open_app, write_handoff


def _spawn(app: Orchestra, task: str = "T-1") -> str:
    return app.delegation.spawn({"task_id": task, "runtime": "claude-cli"}).session_id


def test_happy_path_and_timeline(dapp: Orchestra) -> None:
    sid = _spawn(dapp)
    dapp.delegation.update({"session_id": sid, "status": "spawned", "agent_id": "agent-7"})
    dapp.delegation.update({"session_id": sid, "status": "active"})
    path = write_handoff(dapp, sid)
    done = dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    assert done.session.status == "completed" and done.session.terminal
    assert done.session.artifacts.result == path and done.session.agent_id == "agent-7"
    closed = dapp.delegation.update({"session_id": sid, "status": "closed"})
    assert closed.session.status == "closed"
    detail = dapp.delegation.get(sid)
    assert [t.to_status for t in detail.timeline] == ["requested", "spawned", "active", "completed", "closed"]
    assert all(t.audit_seq for t in detail.timeline) and detail.allowed_updates == []
    assert sid not in {s.session_id for s in dapp.delegation.list_sessions().sessions}
    assert sid in {s.session_id for s in dapp.delegation.list_sessions(include_closed=True).sessions}


def test_invalid_transition_names_allowed_next(dapp: Orchestra) -> None:
    sid = _spawn(dapp)
    with pytest.raises(InvalidTransitionError) as caught:
        dapp.delegation.update({"session_id": sid, "status": "resumed"})
    assert "Allowed: spawned, active, completed, failed, timed_out, canceled" in caught.value.message
    dapp.delegation.update({"session_id": sid, "status": "failed", "summary": "gave up"})
    with pytest.raises(InvalidTransitionError, match="Allowed: closed"):
        dapp.delegation.update({"session_id": sid, "status": "completed", "result": {"summary": "x"}})
    with pytest.raises(SessionNotFoundError):
        dapp.delegation.update({"session_id": "nope", "status": "spawned"})
    with pytest.raises(ValidationError):
        dapp.delegation.update({"session_id": sid, "status": "exploded"})


def test_repeats_are_idempotent(dapp: Orchestra) -> None:
    sid = _spawn(dapp)
    first = dapp.delegation.update({"session_id": sid, "status": "spawned", "agent_id": "a1"})
    events = dapp.events.count()
    again = dapp.delegation.update({"session_id": sid, "status": "spawned", "agent_id": "a1"})
    assert again.replayed and again.transition == first.transition and dapp.events.count() == events
    path = write_handoff(dapp, sid)
    done = dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    repeat = dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    assert repeat.replayed and repeat.transition == done.transition


def test_heartbeat_refreshes_the_deadline_without_new_events(dapp: Orchestra, clock: FakeClock) -> None:
    sid = _spawn(dapp)
    dapp.delegation.update({"session_id": sid, "status": "active"})
    events = dapp.events.count()
    for _ in range(5):
        clock.advance(minutes=20)  # under the 30 min stale TTL each time
        assert dapp.delegation.update({"session_id": sid, "status": "active"}).replayed
    assert dapp.events.count() == events
    assert dapp.delegation.get(sid).session.status == "active"


def test_completion_contract(dapp: Orchestra) -> None:
    sid = _spawn(dapp)
    with pytest.raises(ValidationError, match="handoff artifact or a structured result"):
        dapp.delegation.update({"session_id": sid, "status": "completed"})
    path = write_handoff(dapp, sid, Role="reviewer")
    with pytest.raises(ResultContractError, match="role does not match"):
        dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    path = write_handoff(dapp, sid, Session_id="<omit>")
    with pytest.raises(ResultContractError, match="missing: 'Session id:'"):
        dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    for bad in ("src/handoff.md", ".agent-workflowX/h.md", "../outside.md", "/etc/passwd"):
        with pytest.raises(PathOutsideWorkspaceError):
            dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": bad})
    with pytest.raises(ResultContractError, match="summary"):
        dapp.delegation.update({"session_id": sid, "status": "completed", "result": {"files": 3}})
    with pytest.raises(ResultContractError, match="task_id does not match"):
        dapp.delegation.update({"session_id": sid, "status": "completed",
                                "result": {"summary": "ok", "task_id": "T-2"}})
    assert dapp.delegation.get(sid).session.status == "requested"
    ok = dapp.delegation.update({"session_id": sid, "status": "completed",
                                 "result": {"summary": "done", "tests": ["a", "b"], "task_id": "T-1"}})
    assert ok.session.result == {"summary": "done", "tests": ["a", "b"], "task_id": "T-1"}


def test_expiry_frees_slots_and_promotes_fairly(workspace: Path, clock: FakeClock) -> None:
    app = open_app(workspace, clock, maxConcurrentDelegates=2)
    a, b = _spawn(app, "T-1"), _spawn(app, "T-1")
    q1, q2, q3 = _spawn(app, "T-1"), _spawn(app, "T-1"), _spawn(app, "T-2")
    assert [app.delegation.get(s).session.status for s in (q1, q2, q3)] == ["queued"] * 3
    app.delegation.update({"session_id": a, "status": "spawned"})
    clock.advance(minutes=11)  # b was never reported spawned: past the 10 min spawn timeout
    listing = app.delegation.list_sessions()
    assert listing.expired == [b]
    # one slot free: T-2's request goes first (its task holds no slot), though T-1's are older
    assert app.delegation.get(q3).session.status == "requested"
    assert app.delegation.get(q1).session.status == "queued"
    clock.advance(minutes=31)  # a went silent past the stale TTL; q3 was never spawned either
    app.delegation.sweep()
    assert app.delegation.get(a).session.status == "timed_out"
    assert {app.delegation.get(s).session.status for s in (q1, q2)} == {"requested"}
    timeouts = app.events.list(event_type="RUNTIME_DELEGATION_SESSION_TIMED_OUT")
    assert {e.metadata["sessionId"] for e in timeouts} == {a, b, q3}
    app.close()


def test_finishing_promotes_in_the_same_call(workspace: Path, clock: FakeClock) -> None:
    app = open_app(workspace, clock, maxConcurrentDelegates=1)
    first, waiting = _spawn(app), _spawn(app, "T-2")
    result = app.delegation.update({"session_id": first, "status": "canceled"})
    assert result.promoted == [waiting]
    assert app.delegation.get(waiting).session.status == "requested"
    app.close()


def test_suspend_and_resume_keep_the_slot(workspace: Path, clock: FakeClock) -> None:
    app = open_app(workspace, clock, maxConcurrentDelegates=1)
    sid = _spawn(app)
    app.delegation.update({"session_id": sid, "status": "spawned"})
    app.delegation.update({"session_id": sid, "status": "suspended"})
    assert app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"}).status == "queued"
    resumed = app.delegation.update({"session_id": sid, "status": "resumed"})
    assert resumed.session.status == "active"
    app.close()


def test_wait_check(dapp: Orchestra) -> None:
    a, b = _spawn(dapp), _spawn(dapp, "T-2")
    assert not dapp.delegation.wait_check([a, b], "any").done
    dapp.delegation.update({"session_id": a, "status": "failed", "summary": "no"})
    assert dapp.delegation.wait_check([a, b], "any").done
    state = dapp.delegation.wait_check([a, b], "all", 5.0, final=True)
    assert not state.done and state.timed_out and state.pending == [b]
    with pytest.raises(SessionNotFoundError):
        dapp.delegation.wait_check(["nope"], "any")
