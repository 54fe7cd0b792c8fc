"""Spawn admission and capacity share one transaction: requested ⇔ lease, queued ⇔ queue entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.delegation.errors import DelegationRejectedError
from tests.capacity.conftest import open_capacity
from tests.delegation.conftest import FakeClock

TASKS = ("T-1", "T-2", "T-3")


def _app(workspace: Path, clock: FakeClock, capacity: dict[str, object] | None = None,
         **guardrails: object) -> Orchestra:
    app = open_capacity(workspace, clock, capacity, guardrails or None)
    for task in TASKS:
        app.tasks.add({"id": task, "title": task, "owner_role": "developer", "acceptance_criteria": ["ok"]})
    return app


def assert_consistent(app: Orchestra) -> None:
    """Every slot-holding session holds exactly one lease; every queued session one queue entry."""
    with app.store.read() as tx:
        sessions = {r["session_id"]: r["status"] for r in tx.fetchall("SELECT * FROM delegation_sessions")}
        held = {r["holder"] for r in tx.fetchall("SELECT holder FROM capacity_leases WHERE status = 'active'"
                                                 " AND holder IS NOT NULL")}
        waiting = {r["holder"] for r in tx.fetchall("SELECT holder FROM capacity_queue WHERE holder IS NOT NULL")}
    assert held == {s for s, st in sessions.items() if st in ("requested", "spawned", "active", "suspended")}
    assert waiting == {s for s, st in sessions.items() if st == "queued"}


def test_spawn_takes_a_lease_and_completion_releases_it(workspace: Path, clock: FakeClock) -> None:
    with _app(workspace, clock) as app:
        first = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        assert first.capacity is not None and first.capacity["lease_id"] == "lease-1"
        snap = app.capacity.snapshot()
        assert snap.active == 1 and snap.active_by.by_workload_class["runtime-native-spawn"] == 1
        assert snap.active_by.by_runtime == {"claude-cli": 1}
        for task in ("T-2", "T-3"):
            app.delegation.spawn({"task_id": task, "runtime": "claude-cli"})
        queued = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        assert queued.status == "queued" and queued.capacity is not None and queued.capacity["queue_id"]
        assert_consistent(app)
        done = app.delegation.update({"session_id": first.session_id, "status": "completed",
                                      "result": {"summary": "ok"}})
        assert done.promoted == [queued.session_id]
        assert_consistent(app)
        assert app.capacity.snapshot().active == 3


def test_capacity_quota_queues_when_guardrails_allow(workspace: Path, clock: FakeClock) -> None:
    capacity = {"tenant": {"maxActivePerRuntime": 1}}
    with _app(workspace, clock, capacity) as app:
        a = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        b = app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"})
        c = app.delegation.spawn({"task_id": "T-3", "runtime": "codex-cli"})
        assert (a.status, b.status, c.status) == ("requested", "queued", "requested")
        assert b.capacity is not None and b.capacity["reason_code"] == "queued_runtime_limit"
        assert b.guardrails.decision == "allow"
        assert_consistent(app)
        app.delegation.update({"session_id": a.session_id, "status": "failed", "summary": "no"})
        assert app.delegation.get(b.session_id).session.status == "requested"
        assert_consistent(app)


def test_expiry_releases_the_lease(workspace: Path, clock: FakeClock) -> None:
    with _app(workspace, clock, maxConcurrentDelegates=1) as app:
        a = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        b = app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"})
        assert b.capacity is not None and b.capacity["reason_code"] == "queued_delegation_limit"
        app.delegation.update({"session_id": a.session_id, "status": "spawned"})
        clock.advance(minutes=20)
        app.delegation.update({"session_id": a.session_id, "status": "active"})  # heartbeat renews the lease too
        with app.store.read() as tx:
            row = tx.fetchone("SELECT expires_at FROM capacity_leases WHERE holder = ?", (a.session_id,))
        assert row is not None and row["expires_at"] == app.delegation.get(a.session_id).session.expires_at
        clock.advance(minutes=31)
        app.delegation.sweep()
        assert app.delegation.get(a.session_id).session.status == "timed_out"
        assert app.delegation.get(b.session_id).session.status == "requested"
        assert_consistent(app)


def test_queue_full_rejects_and_writes_nothing(workspace: Path, clock: FakeClock) -> None:
    quota = {"maxQueued": 1}
    with _app(workspace, clock, {"platform": quota, "tenant": quota, "workspace": quota},
              maxConcurrentDelegates=1) as app:
        app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"})
        events = app.events.count()
        with pytest.raises(DelegationRejectedError) as caught:
            app.delegation.spawn({"task_id": "T-3", "runtime": "claude-cli"})
        assert caught.value.details["reasonCode"] == "rejected_queue_full"
        assert app.events.count() == events and app.delegation.list_sessions().counts.total == 2
        assert_consistent(app)


def test_canceling_a_queued_session_drops_its_entry(workspace: Path, clock: FakeClock) -> None:
    with _app(workspace, clock, maxConcurrentDelegates=1) as app:
        app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        b = app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"})
        app.delegation.update({"session_id": b.session_id, "status": "canceled"})
        assert app.capacity.snapshot().queued == 0
        assert_consistent(app)


def test_saas_spawn_needs_scope(workspace: Path, clock: FakeClock) -> None:
    with _app(workspace, clock, {"mode": "saas"}) as app:
        with pytest.raises(DelegationRejectedError) as caught:
            app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        assert caught.value.details["reasonCode"] == "rejected_missing_scope"
        ok = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "tenant_id": "acme",
                                   "workspace_id": "repo"})
        assert ok.status == "requested"
        assert app.capacity.snapshot(tenant_id="acme").active_by.by_workspace == {"acme/repo": 1}


def test_direct_release_promotes_queued_sessions(workspace: Path, clock: FakeClock) -> None:
    with _app(workspace, clock, {"platform": {"maxActive": 1}}) as app:
        lease = app.capacity.request({"lease_ttl_ms": 3_600_000}).lease
        assert lease is not None
        waiting = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
        assert waiting.status == "queued" and waiting.capacity and \
            waiting.capacity["reason_code"] == "queued_platform_limit"
        app.capacity.release(lease.lease_id, lease.fence)
        assert app.delegation.get(waiting.session_id).session.status == "requested"
        assert_consistent(app)
