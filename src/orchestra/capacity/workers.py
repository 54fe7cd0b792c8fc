"""The worker registry in the store, and deterministic worker selection.

Eligibility (all must hold): the tenant is not denied; tenant affinity allows it
(``platform-shared``: anyone; ``single-tenant``/``tenant-pool``: listed tenants; an
empty ``tenant-pool`` is open); the workload class is supported; the provider,
runtime and residency tag match when the request names them (``*`` matches any);
with ``strict_regions`` the worker serves a preferred region; health is ``healthy``
(``degraded`` also for ``background-maintenance``); the heartbeat is fresh (the local
worker has none: it lives as long as the server that decides); the circuit is
closed; enough units are free.

Order among eligible workers (total, lexicographic, smallest first):
1. affinity: single-tenant for this tenant, then a tenant pool listing it, then shared;
2. region rank: index of the first preferred region the worker serves (none: last);
3. health: healthy before degraded;  4. fewer recorded failures;
5. more free units;  6. worker id (code-point order).

Selection is indexed: dedicated workers come from the ``tenant:<id>`` tag index
(few rows), shared workers from ``capacity_worker_slots`` walked in the order above
per preferred region with ``LIMIT 1``; no decision scans every worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from orchestra.capacity.model import HEALTH_RANK, Scope, Worker, WorkerSpec
from orchestra.capacity.reasons import WORKLOAD_CLASSES
from orchestra.clock import iso_ms
from orchestra.store.base import Row, Transaction
from orchestra.store.dialect import greatest, ordered_join

LOCAL_WORKER_ID = "local-parent"


def local_spec(max_units: int) -> WorkerSpec:
    """The in-process worker: every class, any provider and runtime, never stale."""
    return WorkerSpec(worker_id=LOCAL_WORKER_ID, kind="local", affinity="platform-shared",
                      workload_classes=list(WORKLOAD_CLASSES), providers=["*"], runtimes=["*"],
                      regions=["local"], residency=["local"], max_units=max_units, heartbeat_ttl_ms=None)


def ensure_local(tx: Transaction, max_units: int, now: datetime) -> None:
    """Register the local worker, keeping its size equal to the platform's ``maxActive``."""
    row = tx.fetchone("SELECT max_units FROM capacity_workers WHERE worker_id = ?", (LOCAL_WORKER_ID,))
    if row is None:
        register(tx, local_spec(max_units), now)
    elif int(row["max_units"]) != max_units:
        tx.execute("UPDATE capacity_workers SET max_units = ? WHERE worker_id = ?", (max_units, LOCAL_WORKER_ID))
        _sync_slots(tx, LOCAL_WORKER_ID)


def register(tx: Transaction, spec: WorkerSpec, now: datetime) -> None:
    """Insert or replace a worker's description (its used units and failures are kept)."""
    stamp = iso_ms(now)
    deadline = iso_ms(now + timedelta(milliseconds=spec.heartbeat_ttl_ms)) if spec.heartbeat_ttl_ms else None
    tx.execute(
        "INSERT INTO capacity_workers (worker_id, kind, affinity, allowed_tenants, denied_tenants, workload_classes,"
        " providers, runtimes, regions, residency, health, health_rank, last_heartbeat_at, heartbeat_ttl_ms,"
        " heartbeat_deadline, max_units, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(worker_id) DO UPDATE SET kind = excluded.kind, affinity = excluded.affinity,"
        " allowed_tenants = excluded.allowed_tenants, denied_tenants = excluded.denied_tenants,"
        " workload_classes = excluded.workload_classes, providers = excluded.providers,"
        " runtimes = excluded.runtimes, regions = excluded.regions, residency = excluded.residency,"
        " health = excluded.health, health_rank = excluded.health_rank,"
        " last_heartbeat_at = excluded.last_heartbeat_at, heartbeat_ttl_ms = excluded.heartbeat_ttl_ms,"
        " heartbeat_deadline = excluded.heartbeat_deadline, max_units = excluded.max_units",
        (spec.worker_id, spec.kind, spec.affinity, _j(spec.allowed_tenants), _j(spec.denied_tenants),
         _j(spec.workload_classes), _j(spec.providers), _j(spec.runtimes), _j(spec.regions), _j(spec.residency),
         spec.health, HEALTH_RANK[spec.health], stamp, spec.heartbeat_ttl_ms, deadline, spec.max_units, stamp),
    )
    tx.execute("DELETE FROM capacity_worker_tags WHERE worker_id = ?", (spec.worker_id,))
    tags = ([f"class:{c}" for c in spec.workload_classes] + [f"provider:{p}" for p in spec.providers]
            + [f"runtime:{r}" for r in spec.runtimes] + [f"region:{r}" for r in spec.regions]
            + [f"residency:{r}" for r in spec.residency] + [f"tenant:{t}" for t in spec.allowed_tenants]
            + [f"deny:{t}" for t in spec.denied_tenants])
    for tag in dict.fromkeys(tags):
        tx.execute("INSERT INTO capacity_worker_tags (tag, worker_id) VALUES (?, ?)", (tag, spec.worker_id))
    tx.execute("DELETE FROM capacity_worker_slots WHERE worker_id = ?", (spec.worker_id,))
    for cls in dict.fromkeys(spec.workload_classes):
        tx.execute("INSERT INTO capacity_worker_slots (workload_class, worker_id, health_rank, failure_count,"
                   " free_units) SELECT ?, worker_id, health_rank, failure_count, max_units - used_units"
                   " FROM capacity_workers WHERE worker_id = ?", (cls, spec.worker_id))


def heartbeat(tx: Transaction, worker_id: str, now: datetime, health: str | None) -> bool:
    """Refresh a worker's heartbeat (and health); False when the worker is unknown."""
    row = tx.fetchone("SELECT heartbeat_ttl_ms, health FROM capacity_workers WHERE worker_id = ?", (worker_id,))
    if row is None:
        return False
    ttl = row["heartbeat_ttl_ms"]
    deadline = iso_ms(now + timedelta(milliseconds=int(ttl))) if ttl is not None else None
    state = health or str(row["health"])
    tx.execute("UPDATE capacity_workers SET last_heartbeat_at = ?, heartbeat_deadline = ?, health = ?,"
               " health_rank = ? WHERE worker_id = ?", (iso_ms(now), deadline, state, HEALTH_RANK[state], worker_id))
    _sync_slots(tx, worker_id)
    return True


def set_circuit(tx: Transaction, worker_id: str, open_until: str | None, failed: bool) -> bool:
    """Open (until a time) or close a worker's circuit breaker; a failure is counted."""
    changed = tx.execute("UPDATE capacity_workers SET circuit_open_until = ?, failure_count = failure_count + ?"
                         " WHERE worker_id = ?", (open_until, 1 if failed else 0, worker_id))
    _sync_slots(tx, worker_id)
    return changed > 0


def reserve(tx: Transaction, worker_id: str, units: int) -> None:
    """Take ``units`` on a worker (negative to give them back)."""
    tx.execute(f"UPDATE capacity_workers SET used_units = {greatest(tx.dialect)}(used_units + ?, 0)"
               " WHERE worker_id = ?", (units, worker_id))
    _sync_slots(tx, worker_id)


def _sync_slots(tx: Transaction, worker_id: str) -> None:
    tx.execute("UPDATE capacity_worker_slots SET (health_rank, failure_count, free_units) = (SELECT health_rank,"
               " failure_count, max_units - used_units FROM capacity_workers w WHERE w.worker_id = ?)"
               " WHERE worker_id = ?", (worker_id, worker_id))


def get(tx: Transaction, worker_id: str) -> Worker | None:
    """One worker."""
    row = tx.fetchone("SELECT * FROM capacity_workers WHERE worker_id = ?", (worker_id,))
    return to_worker(row) if row else None


def list_all(tx: Transaction, limit: int) -> list[Worker]:
    """Workers in id order."""
    return [to_worker(r) for r in tx.fetchall("SELECT * FROM capacity_workers ORDER BY worker_id LIMIT ?",
                                              (limit,))]


def to_worker(row: Row) -> Worker:
    """A row as a :class:`Worker`."""
    return Worker(
        worker_id=row["worker_id"], kind=row["kind"], affinity=row["affinity"],
        allowed_tenants=json.loads(row["allowed_tenants"]), denied_tenants=json.loads(row["denied_tenants"]),
        workload_classes=json.loads(row["workload_classes"]), providers=json.loads(row["providers"]),
        runtimes=json.loads(row["runtimes"]), regions=json.loads(row["regions"]),
        residency=json.loads(row["residency"]), health=row["health"], max_units=int(row["max_units"]),
        heartbeat_ttl_ms=row["heartbeat_ttl_ms"], used_units=int(row["used_units"]),
        failure_count=int(row["failure_count"]), last_heartbeat_at=row["last_heartbeat_at"],
        circuit_open_until=row["circuit_open_until"],
    )


# -- selection -------------------------------------------------------------------------------------------------


def select(tx: Transaction, *, scope: Scope, workload_class: str, units: int, provider: str | None,
           runtime: str | None, residency: str | None, regions: list[str], strict_regions: bool,
           now: str) -> tuple[str, str | None] | None:
    """The best eligible worker and the region it serves the request in, or None."""
    max_health = 1 if workload_class == "background-maintenance" else 0
    where, params = _filters(scope.tenant_id, units, provider, runtime, residency, max_health, now)
    dedicated = tx.fetchall(
        "SELECT w.worker_id, w.affinity, w.regions, w.health_rank, w.failure_count,"
        f" w.max_units - w.used_units AS free FROM capacity_worker_tags a {ordered_join(tx.dialect)} capacity_workers w"
        " ON w.worker_id = a.worker_id WHERE a.tag = ? AND w.affinity IN ('single-tenant', 'tenant-pool')"
        " AND EXISTS (SELECT 1 FROM capacity_worker_tags c WHERE c.tag = ? AND c.worker_id = w.worker_id)"
        f" AND {where}", (f"tenant:{scope.tenant_id}", f"class:{workload_class}", *params))
    ranked = []
    for row in dedicated:
        served = json.loads(row["regions"])
        rank = next((i for i, r in enumerate(regions) if r in served), len(regions))
        if strict_regions and rank == len(regions):
            continue
        ranked.append(((0 if row["affinity"] == "single-tenant" else 1, rank, int(row["health_rank"]),
                        int(row["failure_count"]), -int(row["free"]), str(row["worker_id"])), row, served))
    if ranked:
        key, row, served = min(ranked, key=lambda item: item[0])
        return str(row["worker_id"]), _region(regions, served, key[1])
    passes: list[str | None] = list(dict.fromkeys(regions))
    if not strict_regions or not regions:
        passes.append(None)
    for region in passes:
        extra = " AND EXISTS (SELECT 1 FROM capacity_worker_tags g WHERE g.tag = ? AND g.worker_id = w.worker_id)"
        found = tx.fetchone(
            f"SELECT w.worker_id, w.regions FROM capacity_worker_slots s {ordered_join(tx.dialect)} capacity_workers w"
            " ON w.worker_id = s.worker_id WHERE s.workload_class = ? AND s.health_rank <= ? AND s.free_units >= ?"
            " AND (w.affinity = 'platform-shared' OR (w.affinity = 'tenant-pool' AND w.allowed_tenants = '[]'))"
            f" AND {where}{extra if region else ''}"
            " ORDER BY s.health_rank, s.failure_count, s.free_units DESC, s.worker_id LIMIT 1",
            (workload_class, max_health, units, *params, *([f"region:{region}"] if region else [])))
        if found is not None:
            served = json.loads(found["regions"])
            return str(found["worker_id"]), region or (served[0] if served else None)
    return None


def _region(preferred: list[str], served: list[str], rank: int) -> str | None:
    if rank < len(preferred):
        return preferred[rank]
    return served[0] if served else None


def _filters(tenant: str, units: int, provider: str | None, runtime: str | None, residency: str | None,
             max_health: int, now: str) -> tuple[str, list[Any]]:
    clauses = ["w.health_rank <= ?", "(w.heartbeat_deadline IS NULL OR w.heartbeat_deadline >= ?)",
               "(w.circuit_open_until IS NULL OR w.circuit_open_until <= ?)", "w.max_units - w.used_units >= ?",
               "NOT EXISTS (SELECT 1 FROM capacity_worker_tags d WHERE d.tag = ? AND d.worker_id = w.worker_id)"]
    params: list[Any] = [max_health, now, now, units, f"deny:{tenant}"]
    for name, value in (("provider", provider), ("runtime", runtime)):
        if value:
            clauses.append("EXISTS (SELECT 1 FROM capacity_worker_tags x WHERE x.tag IN (?, ?)"
                           " AND x.worker_id = w.worker_id)")
            params += [f"{name}:{value}", f"{name}:*"]
    if residency:
        clauses.append("EXISTS (SELECT 1 FROM capacity_worker_tags x WHERE x.tag = ? AND x.worker_id = w.worker_id)")
        params.append(f"residency:{residency}")
    return " AND ".join(clauses), params


def _j(values: Sequence[str]) -> str:
    return json.dumps(list(values))
