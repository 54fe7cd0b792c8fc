"""A hypothesis state machine over requests, releases, heartbeats and time."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orchestra.capacity import Lease, LeaseLostError, Scope, quotas
from orchestra.capacity import workers as registry
from orchestra.capacity.queue import request_of
from orchestra.clock import iso_ms
from tests.capacity.conftest import open_capacity, worker
from tests.delegation.conftest import FakeClock

CONFIG = {"platform": {"maxActive": 5, "maxQueued": 6}, "leaseTtlMs": 3000,
          "tenant": {"maxActive": 3, "maxQueued": 4, "maxActivePerProvider": 1, "maxActivePerRuntime": 2,
                     "queueTtlMs": 5000},
          "workspace": {"maxActive": 2, "maxQueued": 3}, "tenants": {"t2": {"maxActive": 1}}}
CAPS = {"tenant": 3, "workspace": 2, "provider": 1, "runtime": 2}


class CapacityMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="orchestra-cap-sm-"))
        (self.folder / ".git").mkdir()
        self.clock = FakeClock()
        self.app = open_capacity(self.folder, self.clock, CONFIG)
        self.app.capacity.register_worker(worker("remote", workload_classes=["workflow-phase", "interactive"],
                                                 max_units=2, heartbeat_ttl_ms=4000))
        self.leases: list[Lease] = []
        self.decided: dict[str, str] = {}
        self.n = 0

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(tenant=st.sampled_from(["t1", "t2", "t3"]), space=st.sampled_from(["a", "b"]),
          provider=st.sampled_from([None, "p1", "p2"]), runtime=st.sampled_from([None, "r1"]),
          units=st.integers(1, 2), priority=st.sampled_from(["high", "normal", "low"]),
          action=st.sampled_from([None, "reject"]), cls=st.sampled_from(["workflow-phase", "interactive"]))
    def request(self, tenant: str, space: str, provider: str | None, runtime: str | None, units: int,
                priority: str, action: str | None, cls: str) -> None:
        self.n += 1
        rid = f"req-{self.n}"
        decision = self.app.capacity.request({
            "request_id": rid, "tenant_id": tenant, "workspace_id": space, "provider": provider,
            "runtime": runtime, "units": units, "priority": priority, "limit_action": action,
            "workload_class": cls})
        assert not decision.replayed and decision.decision_id not in self.decided.values()
        self.decided[rid] = decision.decision_id
        assert (decision.lease is not None) == (decision.status == "admitted")
        assert (decision.queue is not None) == (decision.status == "queued")
        if decision.lease:
            self.leases.append(decision.lease)

    @precondition(lambda self: bool(self.decided))
    @rule(index=st.integers(0, 10_000))
    def repeat_request(self, index: int) -> None:
        rid = sorted(self.decided)[index % len(self.decided)]
        again = self.app.capacity.request({"request_id": rid, "units": 2})
        assert again.replayed and again.decision_id == self.decided[rid]

    @precondition(lambda self: bool(self.leases))
    @rule(index=st.integers(0, 10_000))
    def release(self, index: int) -> None:
        lease = self.leases.pop(index % len(self.leases))
        self.app.capacity.release(lease.lease_id, lease.fence)

    @precondition(lambda self: bool(self.leases))
    @rule(index=st.integers(0, 10_000))
    def heartbeat(self, index: int) -> None:
        lease = self.leases[index % len(self.leases)]
        try:
            self.app.capacity.heartbeat(lease.lease_id, lease.fence)
        except LeaseLostError:
            self.leases.remove(lease)

    @rule()
    def worker_heartbeat(self) -> None:
        self.app.capacity.worker_heartbeat("remote")

    @rule(ms=st.sampled_from([500, 1500, 3500, 6000]))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(milliseconds=ms)
        self.app.capacity.sweep()

    @invariant()
    def quotas_hold_and_counters_match(self) -> None:
        with self.app.store.read() as tx:
            live = tx.fetchall("SELECT * FROM capacity_leases WHERE status = 'active'")
            counters = {r["key"]: (r["active"], r["queued"]) for r in tx.fetchall("SELECT * FROM capacity_usage")}
            queued = tx.fetchall("SELECT * FROM capacity_queue")
            workers = {w.worker_id: w for w in registry.list_all(tx, 100)}
        per: Counter[str] = Counter()
        per_worker: Counter[str] = Counter()
        for row in live:
            units = int(row["units"])
            k = quotas.keys(Scope(platform_id=row["platform_id"], tenant_id=row["tenant_id"],
                                  workspace_id=row["workspace_id"]), row["provider"], row["runtime"])
            for key in k.all():
                per[key] += units
            per_worker[row["worker_id"]] += units
        for key, used in per.items():
            level = {"p": "platform", "t": "tenant", "w": "workspace", "tp": "provider", "tr": "runtime"}[
                key.split("|")[0]]
            cap = 5 if level == "platform" else (1 if key == "t|local|t2" else CAPS[level])
            assert used <= cap, (key, used)
            assert counters[key][0] == used, (key, counters[key], used)
        assert all(a == 0 for key, (a, _) in counters.items() if key not in per)
        for wid, w in workers.items():
            assert w.used_units == per_worker.get(wid, 0) <= w.max_units
        queued_units: Counter[str] = Counter()
        for row in queued:
            k = quotas.keys(Scope(platform_id=row["platform_id"], tenant_id=row["tenant_id"],
                                  workspace_id=row["workspace_id"]), None, None)
            for key in (k.platform, k.tenant, k.workspace):
                queued_units[key] += int(row["units"])
        assert all(counters.get(key, (0, 0))[1] == n for key, n in queued_units.items())
        assert queued_units.get("p|local", 0) <= 6

    @invariant()
    def freed_capacity_is_reused_and_nothing_is_overdue(self) -> None:
        engine = self.app.capacity.engine
        now = iso_ms(self.clock.now)
        with self.app.store.read() as tx:
            assert tx.fetchone("SELECT 1 FROM capacity_leases WHERE status = 'active' AND expires_at < ?",
                               (now,)) is None
            assert tx.fetchone("SELECT 1 FROM capacity_queue WHERE expires_at < ?", (now,)) is None
            for row in tx.fetchall("SELECT * FROM capacity_queue"):
                request = request_of(row)
                scope = Scope(platform_id=row["platform_id"], tenant_id=row["tenant_id"],
                              workspace_id=row["workspace_id"])
                caps = quotas.limits(engine.config, scope, quotas.keys(scope, request.provider, request.runtime))
                if quotas.first_active_limit(tx, caps, request.units) is None:
                    assert engine._pick(tx, request, scope, now) is None, f"{row['seq']} could run now"

    @invariant()
    def decided_once(self) -> None:
        with self.app.store.read() as tx:
            rows = tx.fetchall("SELECT request_id, COUNT(*) AS n FROM capacity_decisions"
                               " WHERE request_id IS NOT NULL GROUP BY request_id")
        assert {r["request_id"] for r in rows} == set(self.decided) and all(r["n"] == 1 for r in rows)


TestCapacity = CapacityMachine.TestCase
TestCapacity.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
