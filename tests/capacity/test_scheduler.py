"""Decisions, reason codes, evaluation order, leases and queue TTLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.capacity import LeaseLostError
from orchestra.capacity.reasons import REASON_CODES, user_safe_reason
from orchestra.errors import ValidationError
from tests.capacity.conftest import open_capacity
from tests.delegation.conftest import FakeClock


def test_seed_sequence(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        cap = app.capacity
        first = [cap.request({"request_id": f"r{i}"}) for i in range(1, 4)]
        assert [d.status for d in first] == ["admitted"] * 3
        assert [d.lease.lease_id for d in first if d.lease] == ["lease-1", "lease-2", "lease-3"]
        assert all(d.worker_id == "local-parent" for d in first)
        r4 = cap.request({"request_id": "r4"})
        assert (r4.status, r4.reason_code, r4.queue and r4.queue.position) == ("queued", "queued_platform_limit", 1)
        assert r4.user_safe_reason == "queued until platform runtime capacity is available"
        r5 = cap.request({"request_id": "r5", "priority": "high"})
        assert r5.queue is not None and r5.queue.position == 1
        r6 = cap.request({"request_id": "r6", "limit_action": "reject"})
        assert (r6.status, r6.reason_code) == ("rejected", "rejected_platform_limit")
        assert cap.request({"workload_class": "bogus"}).reason_code == "rejected_invalid_request"
        assert cap.request({"units": 0}).reason_code == "rejected_invalid_request"
        released = cap.release("lease-1")
        assert released.released and released.promoted == [r5.decision_id]
        assert cap.release("lease-1").released is False  # already ended: nothing happens
        assert cap.release("lease-99").released is False
        snap = cap.snapshot()
        assert (snap.active, snap.queued, snap.rejected) == (3, 1, 3)


def test_request_id_is_decided_once(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        first = app.capacity.request({"request_id": "same"})
        again = app.capacity.request({"request_id": "same", "units": 2})
        assert again.replayed and again.decision_id == first.decision_id and app.capacity.snapshot().active == 1


def test_queue_full_is_reachable(workspace: Path, clock: FakeClock) -> None:
    quota = {"maxActive": 1, "maxQueued": 2}
    with open_capacity(workspace, clock, {"platform": quota, "tenant": quota, "workspace": quota}) as app:
        codes = [app.capacity.request({}).reason_code for _ in range(4)]
        assert codes == ["admitted", "queued_platform_limit", "queued_platform_limit", "rejected_queue_full"]
        assert user_safe_reason("rejected_queue_full") == "runtime queue is full"


def test_evaluation_order_and_levels(workspace: Path, clock: FakeClock) -> None:
    capacity = {"platform": {"maxActive": 10}, "tenant": {"maxActive": 4, "maxActivePerProvider": 1},
                "workspace": {"maxActive": 3}, "tenants": {"big": {"maxActive": 8}},
                "workspaces": {"big/w2": {"maxActive": 1}}}
    with open_capacity(workspace, clock, capacity) as app:
        cap = app.capacity
        assert cap.request({"tenant_id": "a", "workspace_id": "w", "provider": "openai"}).status == "admitted"
        assert cap.request({"tenant_id": "a", "workspace_id": "w", "provider": "openai"}).reason_code == \
            "queued_provider_limit"
        assert cap.request({"tenant_id": "a", "workspace_id": "w", "runtime": "claude-cli"}).status == "admitted"
        assert cap.request({"tenant_id": "a", "workspace_id": "w"}).status == "admitted"
        assert cap.request({"tenant_id": "a", "workspace_id": "w"}).reason_code == "queued_workspace_limit"
        assert cap.request({"tenant_id": "a", "workspace_id": "v"}).status == "admitted"
        assert cap.request({"tenant_id": "a", "workspace_id": "u"}).reason_code == "queued_tenant_limit"
        assert cap.request({"tenant_id": "big", "workspace_id": "w2"}).status == "admitted"
        assert cap.request({"tenant_id": "big", "workspace_id": "w2"}).reason_code == "queued_workspace_limit"
        for _ in range(5):
            cap.request({"tenant_id": "big", "workspace_id": f"x{_}", "limit_action": "reject"})
        assert cap.request({"tenant_id": "c", "workspace_id": "w"}).reason_code == "queued_platform_limit"
        snap = cap.snapshot(tenant_id="big")
        assert snap.limits["max_active"] == 8 and snap.active == 6


def test_provider_and_runtime_tagged_requests_run_locally(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        decision = app.capacity.request({"provider": "openai", "runtime": "codex-cli"})
        assert decision.status == "admitted" and decision.worker_id == "local-parent"


def test_local_worker_never_goes_stale(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        lease = app.capacity.request({}).lease
        assert lease is not None
        clock.advance(days=3)
        assert app.capacity.request({}).status == "admitted"


def test_leases_expire_and_heartbeats_renew(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, {"platform": {"maxActive": 1}}) as app:
        cap = app.capacity
        lease = cap.request({"lease_ttl_ms": 10_000}).lease
        assert lease is not None
        waiting = cap.request({"max_queue_ms": 600_000})
        assert waiting.status == "queued"
        clock.advance(seconds=8)
        renewed = cap.heartbeat(lease.lease_id, lease.fence, ttl_ms=10_000)
        assert renewed.expires_at > lease.expires_at
        clock.advance(seconds=8)
        assert cap.snapshot().active == 1  # renewed: still held
        clock.advance(seconds=3)
        assert cap.sweep() == [waiting.decision_id]  # expired, and the slot went to the queued request
        with pytest.raises(LeaseLostError):
            cap.heartbeat(lease.lease_id, lease.fence)
        expired = app.events.list(event_type="CAPACITY_LEASE_EXPIRED")
        assert [e.metadata["leaseId"] for e in expired] == [lease.lease_id]


def test_wrong_fence_changes_nothing(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        lease = app.capacity.request({}).lease
        assert lease is not None
        with pytest.raises(LeaseLostError):
            app.capacity.heartbeat(lease.lease_id, lease.fence + 1)
        assert app.capacity.release(lease.lease_id, lease.fence + 1).released is False
        assert app.capacity.release(lease.lease_id, lease.fence).released is True
        with pytest.raises(ValidationError):
            app.capacity.release("nope")


def test_queue_entries_expire(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, {"platform": {"maxActive": 1}, "tenant": {"queueTtlMs": 30_000}}) as app:
        app.capacity.request({"lease_ttl_ms": 3_600_000})
        queued = app.capacity.request({})
        assert queued.queue is not None and queued.queue.expires_at is not None
        clock.advance(seconds=31)
        app.capacity.sweep()
        snap = app.capacity.snapshot()
        assert snap.queued == 0 and snap.active == 1
        assert app.events.list(event_type="CAPACITY_QUEUE_EXPIRED")[0].metadata["queueId"] == queued.queue.queue_id


def test_snapshot_filters_every_figure(workspace: Path, clock: FakeClock) -> None:
    quota = {"maxActive": 1, "maxQueued": 1}
    with open_capacity(workspace, clock, {"tenant": quota, "workspace": quota, "platform": {"maxActive": 9}}) as app:
        for tenant in ("a", "b"):
            app.capacity.request({"tenant_id": tenant, "workspace_id": "w", "provider": "p1"})
            app.capacity.request({"tenant_id": tenant, "workspace_id": "w"})
            app.capacity.request({"tenant_id": tenant, "workspace_id": "w"})  # queue full → rejected
        snap = app.capacity.snapshot(tenant_id="a")
        assert (snap.active, snap.queued, snap.rejected) == (1, 1, 1)
        assert snap.active_by.by_tenant == {"a": 1} and snap.queued_by.by_tenant == {"a": 1}
        assert snap.active_by.by_provider == {"p1": 1} and snap.active_by.by_workspace == {"a/w": 1}
        assert set(snap.active_by.by_workload_class) >= {"interactive", "runtime-native-spawn"}
        everything = app.capacity.snapshot()
        assert (everything.active, everything.queued, everything.rejected) == (2, 2, 2)
        assert app.capacity.snapshot(tenant_id="a", workspace_id="zzz").active == 0
        with pytest.raises(ValidationError):
            app.capacity.snapshot(workspace_id="w")


def test_saas_mode_requires_scope_and_hides_others(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, {"mode": "saas", "platform": {"maxActive": 2}}) as app:
        missing = app.capacity.request({"tenant_id": "a"})
        assert (missing.status, missing.reason_code) == ("rejected", "rejected_missing_scope")
        assert missing.user_safe_reason == "tenant and workspace scope are required"
        app.capacity.request({"tenant_id": "other-tenant", "workspace_id": "w"})
        app.capacity.request({"tenant_id": "other-tenant", "workspace_id": "w"})
        queued = app.capacity.request({"tenant_id": "a", "workspace_id": "w"})
        assert queued.reason_code == "queued_platform_limit"
        assert queued.user_safe_reason == "queued until runtime capacity is available"  # no platform detail
        assert queued.queue is not None and queued.queue.position == 1
        with pytest.raises(ValidationError):
            app.capacity.snapshot()
        snap = app.capacity.snapshot(tenant_id="a")
        assert snap.active == 0 and snap.queued == 1 and snap.queued_by.by_tenant == {"a": 1}
        assert "other-tenant" not in snap.model_dump_json()


def test_every_reason_code_has_a_user_safe_reason() -> None:
    assert all(user_safe_reason(code) for code in REASON_CODES)
