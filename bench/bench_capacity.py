"""Benchmark of the capacity scheduler: decisions per second at 10,000 workers and 100,000 queued requests,
and Jain's fairness index of promotion across 10 tenants when one tenant submits 90 % of the requests.

Run: ``python bench/bench_capacity.py [--decisions N] [--promotions N]``. Prints figures, then one JSON line.
Every decision is a real write transaction on the SQLite store (``BEGIN IMMEDIATE``, ``synchronous=FULL``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _common import emit, summary_ms  # noqa: E402
from orchestra.app import Orchestra  # noqa: E402
from orchestra.capacity import CapacityRequest, CapacityService, Lease, WorkerSpec  # noqa: E402
from orchestra.capacity import workers as registry  # noqa: E402
from orchestra.clock import iso_ms, utc_now  # noqa: E402
from orchestra.workspace.config import CapacityConfig, QuotaPolicy  # noqa: E402

REGIONS = ["eu", "us", "ap", "sa", "af"]
CLASSES = ["workflow-phase", "interactive", "provider-backed-phase"]
PROVIDERS = ["p1", "p2", "p3"]
TENANTS = [f"t{i}" for i in range(10)]
SEED = 20261125


def big_policy(active: int) -> QuotaPolicy:
    return QuotaPolicy(max_active=active, max_queued=1_000_000, max_active_per_provider=active,
                       max_active_per_runtime=active)


def build_workers(app: Orchestra, count: int, rng: random.Random) -> Counter[str]:
    kinds: Counter[str] = Counter()
    now = utc_now()
    with app.store.write() as tx:
        for i in range(count):
            roll = rng.random()
            affine = roll < 0.10
            spec = WorkerSpec(
                worker_id=f"w{i:05d}", affinity="single-tenant" if affine else "platform-shared",
                allowed_tenants=[rng.choice(TENANTS)] if affine else [],
                workload_classes=rng.sample(CLASSES, rng.randint(1, 2)),  # type: ignore[arg-type]
                providers=["*"] if rng.random() < 0.5 else rng.sample(PROVIDERS, 2), runtimes=["*"],
                regions=[rng.choice(REGIONS)], max_units=rng.randint(1, 4),
                health="unhealthy" if 0.10 <= roll < 0.12 else "healthy")
            stale = 0.12 <= roll < 0.17
            registry.register(tx, spec, now - timedelta(minutes=5) if stale else now)
            if 0.17 <= roll < 0.18:
                registry.set_circuit(tx, spec.worker_id, iso_ms(now + timedelta(hours=1)), failed=True)
            kinds["affine" if affine else "unhealthy" if 0.10 <= roll < 0.12 else "stale" if stale
                  else "open_circuit" if 0.17 <= roll < 0.18 else "shared"] += 1
        registry.ensure_local(tx, 1, now)
        registry.heartbeat(tx, registry.LOCAL_WORKER_ID, now, "draining")  # measure the remote fleet only
    return kinds


def build_queue(app: Orchestra, count: int, rng: random.Random) -> list[str]:
    """Bulk-load ``count`` queued requests (t0 submits 90 %) straight into the store; returns tenants in order."""
    per: Counter[str] = Counter()
    order: list[str] = []
    stamp = iso_ms(utc_now())
    with app.store.write() as tx:
        for seq in range(1, count + 1):
            tenant = "t0" if rng.random() < 0.9 else rng.choice(TENANTS[1:])
            request = CapacityRequest(tenant_id=tenant, workspace_id="ws", workload_class=rng.choice(CLASSES),
                                      regions=[rng.choice(REGIONS)], provider=rng.choice([None, *PROVIDERS]))
            tx.execute("INSERT INTO capacity_queue (seq, decision_seq, platform_id, tenant_id, workspace_id,"
                       " workload_class, provider, runtime, region, units, priority, holder, reason_code, request,"
                       " enqueued_at, expires_at) VALUES (?, ?, 'local', ?, 'ws', ?, ?, NULL, ?, 1, 2, NULL,"
                       " 'queued_platform_limit', ?, ?, NULL)",
                       (seq, seq, tenant, request.workload_class, request.provider, request.regions[0],
                        request.model_dump_json(), stamp))
            per[tenant] += 1
            order.append(tenant)
        tx.execute("INSERT INTO capacity_usage (key, active, queued) VALUES ('p|local', 0, ?)", (count,))
        for tenant, n in per.items():
            tx.execute("INSERT INTO capacity_usage (key, active, queued) VALUES (?, 0, ?)", (f"t|local|{tenant}", n))
            tx.execute("INSERT INTO capacity_usage (key, active, queued) VALUES (?, 0, ?)",
                       (f"w|local|{tenant}|ws", n))
        tx.execute("INSERT INTO capacity_decisions (seq, status, reason_code, at, body) VALUES (?, 'queued',"
                   " 'queued_platform_limit', ?, '{}')", (count, stamp))
    return order


def jain(values: list[float]) -> float:
    total, squares = sum(values), sum(v * v for v in values)
    return round(total * total / (len(values) * squares), 4) if squares else 1.0


def decide_phase(app: Orchestra, count: int, rng: random.Random) -> tuple[float, dict[str, float],
                                                                          Counter[str], list[Lease], list[str]]:
    """New requests (other tenants, quotas raised): full evaluation and indexed worker selection each."""
    # 1. new requests (other tenants, quotas raised): full evaluation + indexed worker selection per decision
    wide = CapacityConfig(platform=big_policy(1_000_000), tenant=big_policy(1_000_000),
                          workspace=big_policy(1_000_000))
    engine = CapacityService(app.store, app.events, wide).engine
    samples: list[float] = []
    statuses: Counter[str] = Counter()
    leases = []
    for i in range(count):
        request = CapacityRequest(tenant_id=f"new{i % 10}", workspace_id="ws",
                                  workload_class=rng.choice(CLASSES), regions=[rng.choice(REGIONS)],
                                  provider=rng.choice([None, *PROVIDERS]), lease_ttl_ms=3_600_000)
        t0 = time.perf_counter()
        with app.store.write() as tx:
            decision = engine.decide(tx, request, utc_now())
        samples.append(time.perf_counter() - t0)
        statuses[decision.status] += 1
        if decision.lease:
            leases.append(decision.lease)
    decide = summary_ms(samples)
    rate = round(len(samples) / sum(samples), 1)
    print(f"decisions: {rate}/s {dict(statuses)} latency {decide}")
    with app.store.read() as tx:
        plan = [str(r[3]) for r in tx.fetchall(
            "EXPLAIN QUERY PLAN SELECT w.worker_id FROM capacity_worker_slots s CROSS JOIN capacity_workers w"
            " ON w.worker_id = s.worker_id WHERE s.workload_class = ? AND s.health_rank <= 0"
            " AND s.free_units >= 1 ORDER BY s.health_rank, s.failure_count, s.free_units DESC, s.worker_id"
            " LIMIT 1", ("interactive",))]
    print("worker walk plan:", "; ".join(plan))

    return rate, decide, statuses, leases, plan


def promote_phase(app: Orchestra, leases: list[Lease], count: int,
                  order: list[str]) -> tuple[Counter[str], float, float,
                                                                                dict[str, float]]:
    """The platform is full; each release promotes one queued request, fairly across tenants."""
    # 2. fair promotion: the platform is full; each release promotes one queued request
    active = sum(lease.units for lease in leases)
    tight = CapacityConfig(platform=big_policy(active), tenant=big_policy(1_000_000),
                           workspace=big_policy(1_000_000))
    service = CapacityService(app.store, app.events, tight)
    served: Counter[str] = Counter()
    promote_samples: list[float] = []
    index = {}
    for lease in leases[:count]:
        t0 = time.perf_counter()
        result = service.release(lease.lease_id, lease.fence)
        promote_samples.append(time.perf_counter() - t0)
        index.update(dict.fromkeys(result.promoted, None))
    with app.store.read() as tx:
        for decision_id in index:
            row = tx.fetchone("SELECT tenant_id FROM capacity_queue WHERE decision_seq = ?",
                              (int(decision_id.split("-")[1]),))
            assert row is None, "promoted entries leave the queue"
        rows = tx.fetchall("SELECT tenant_id, COUNT(*) AS n FROM capacity_leases WHERE status = 'active'"
                           " AND tenant_id LIKE 't%' GROUP BY tenant_id")
        served.update({str(r["tenant_id"]): int(r["n"]) for r in rows})
    fifo = Counter(order[: sum(served.values())])  # what arrival order (FIFO) would have promoted
    fair = jain([float(served.get(t, 0)) for t in TENANTS])
    fifo_jain = jain([float(fifo.get(t, 0)) for t in TENANTS])
    promote = summary_ms(promote_samples)
    print(f"promotions: {sum(served.values())} ({dict(sorted(served.items()))}); Jain {fair} "
          f"(FIFO would give {fifo_jain}); release+promote latency {promote}")
    return served, fair, fifo_jain, promote


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=3_000)
    parser.add_argument("--promotions", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="orchestra-bench-capacity-") as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        app = Orchestra.open(root)
        started = time.perf_counter()
        kinds = build_workers(app, args.workers, rng)
        order = build_queue(app, args.queued, rng)
        queued = Counter(order)
        fixture_s = time.perf_counter() - started
        print(f"fixture: {args.workers} workers {dict(kinds)}, {args.queued} queued {dict(sorted(queued.items()))}"
              f" in {fixture_s:.1f} s")

        rate, decide, statuses, leases, plan = decide_phase(app, args.decisions, rng)
        served, fair, fifo_jain, promote = promote_phase(app, leases, args.promotions, order)
        app.close()
    emit("capacity", {
        "workers": args.workers, "queued": args.queued, "fixture_s": round(fixture_s, 1),
        "decisions_per_s": rate, "decision_latency": decide, "statuses": dict(statuses),
        "promotions": sum(served.values()), "release_promote_latency": promote,
        "jain_10_tenants_flood_90pct": fair, "jain_fifo_baseline": fifo_jain,
        "worker_walk_uses_index": any("capacity_slots_order" in p for p in plan),
        "promoted_by_tenant": json.loads(json.dumps(dict(sorted(served.items())))),
    })


if __name__ == "__main__":
    main()
