"""Promotion is fair across tenants and respects priority within a tenant."""

from __future__ import annotations

import random
from pathlib import Path

from tests.capacity.conftest import open_capacity
from tests.delegation.conftest import FakeClock

BIG = {"maxActive": 1000, "maxQueued": 100_000, "maxActivePerProvider": 1000, "maxActivePerRuntime": 1000}


def jain(values: list[float]) -> float:
    """Jain's fairness index: 1.0 when all equal, 1/n when one takes everything."""
    total = sum(values)
    squares = sum(v * v for v in values)
    return total * total / (len(values) * squares) if squares else 1.0


def test_a_flooding_tenant_does_not_starve_the_others(workspace: Path, clock: FakeClock) -> None:
    capacity = {"platform": {"maxActive": 4, "maxQueued": 100_000}, "tenant": BIG, "workspace": BIG}
    with open_capacity(workspace, clock, capacity) as app:
        rng = random.Random(7)
        tenants = [f"t{i}" for i in range(10)]
        held = [app.capacity.request({"tenant_id": "t0", "workspace_id": "w", "lease_ttl_ms": 3_600_000}).lease
                for _ in range(4)]
        submitted = dict.fromkeys(tenants, 0)
        for _ in range(300):  # t0 submits 90 %
            tenant = "t0" if rng.random() < 0.9 else rng.choice(tenants[1:])
            submitted[tenant] += 1
            decision = app.capacity.request({"tenant_id": tenant, "workspace_id": "w", "lease_ttl_ms": 3_600_000})
            assert decision.status == "queued"
        backlog = min(submitted[t] for t in tenants[1:])
        served = dict.fromkeys(tenants, 0)
        decisions = {}
        with app.store.read() as tx:
            for row in tx.fetchall("SELECT seq, tenant_id FROM capacity_decisions"):
                decisions[f"decision-{row['seq']}"] = row["tenant_id"]
        for _ in range(10 * backlog):  # while every tenant still has queued work
            lease = held.pop(0)
            assert lease is not None
            result = app.capacity.release(lease.lease_id, lease.fence)
            assert len(result.promoted) == 1
            served[decisions[result.promoted[0]]] += 1
            with app.store.read() as tx:
                row = tx.fetchone("SELECT seq, fence FROM capacity_leases WHERE status = 'active'"
                                  " ORDER BY seq DESC LIMIT 1")
            assert row is not None
            held.append(app.capacity.heartbeat(f"lease-{row['seq']}", int(row["fence"])))
        assert jain([float(served[t]) for t in tenants]) >= 0.95, served
        assert max(served.values()) - min(served.values()) <= 2


def test_priority_within_a_tenant(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, {"platform": {"maxActive": 1}}) as app:
        lease = app.capacity.request({"lease_ttl_ms": 3_600_000}).lease
        low = app.capacity.request({"priority": "low"})
        normal = app.capacity.request({})
        high = app.capacity.request({"priority": "high"})
        assert [d.queue.position for d in (low, normal, high) if d.queue] == [1, 1, 1]  # each jumps the lower ones
        assert lease is not None
        assert app.capacity.release(lease.lease_id).promoted == [high.decision_id]
