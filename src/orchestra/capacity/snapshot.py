"""The capacity snapshot: every figure filtered by the same scope (the seed reported ``rejected: 0`` when filtered)."""

from __future__ import annotations

from typing import Any

from orchestra.capacity import quotas
from orchestra.capacity.model import Counts, Snapshot
from orchestra.capacity.reasons import WORKLOAD_CLASSES
from orchestra.store.base import Transaction
from orchestra.workspace.config import CapacityConfig

_DIMENSIONS = {"by_platform": "platform_id", "by_tenant": "tenant_id",
               "by_workspace": "tenant_id || '/' || workspace_id", "by_workload_class": "workload_class",
               "by_provider": "provider", "by_runtime": "runtime", "by_region": "region"}


def build(tx: Transaction, config: CapacityConfig, scope: dict[str, str], now: str) -> Snapshot:
    """A snapshot of leases, queue and decisions inside ``scope`` (keys platform_id/tenant_id/workspace_id)."""
    where = " AND ".join(f"{k} = ?" for k in scope) or "1 = 1"
    params = list(scope.values())
    active = tx.fetchone(f"SELECT COUNT(*) AS n, COALESCE(SUM(units), 0) AS u FROM capacity_leases"
                         f" WHERE status = 'active' AND {where}", params)
    queued = tx.fetchone(f"SELECT COUNT(*) AS n, COALESCE(SUM(units), 0) AS u FROM capacity_queue WHERE {where}",
                         params)
    decided = {str(r["status"]): int(r["n"]) for r in tx.fetchall(
        f"SELECT status, COUNT(*) AS n FROM capacity_decisions WHERE status IN ('rejected', 'deferred')"
        f" AND {where} GROUP BY status", params)}
    circuits = tx.fetchone("SELECT COUNT(*) AS n FROM capacity_workers WHERE circuit_open_until > ?", (now,))
    active_units = int(active["u"]) if active else 0
    return Snapshot(
        mode=config.mode, scope=scope, active=int(active["n"]) if active else 0, active_units=active_units,
        queued=int(queued["n"]) if queued else 0, queued_units=int(queued["u"]) if queued else 0,
        reserved=active_units, rejected=decided.get("rejected", 0), deferred=decided.get("deferred", 0),
        open_circuits=int(circuits["n"]) if circuits else 0, limits=_limits(config, scope),
        active_by=_counts(tx, "capacity_leases", f"status = 'active' AND {where}", params, with_worker=True),
        queued_by=_counts(tx, "capacity_queue", where, params, with_worker=False),
    )


def _counts(tx: Transaction, table: str, where: str, params: list[Any], *, with_worker: bool) -> Counts:
    out: dict[str, dict[str, int]] = {}
    dims = dict(_DIMENSIONS)
    if with_worker:
        dims["by_worker_id"] = "worker_id"
    for name, expr in dims.items():
        rows = tx.fetchall(f"SELECT {expr} AS k, COUNT(*) AS n FROM {table} WHERE {where} AND {expr} IS NOT NULL"
                           " GROUP BY k ORDER BY k", params)
        out[name] = {str(r["k"]): int(r["n"]) for r in rows}
    out["by_workload_class"] = {c: out["by_workload_class"].get(c, 0) for c in WORKLOAD_CLASSES}
    return Counts.model_validate(out)


def _limits(config: CapacityConfig, scope: dict[str, str]) -> dict[str, int]:
    tenant, space = scope.get("tenant_id"), scope.get("workspace_id")
    if tenant and space:
        policy = quotas.workspace_policy(config, tenant, space)
    elif tenant:
        policy = quotas.tenant_policy(config, tenant)
    else:
        policy = config.platform
    return {"max_active": policy.max_active, "max_queued": policy.max_queued,
            "max_active_per_provider": policy.max_active_per_provider,
            "max_active_per_runtime": policy.max_active_per_runtime, "queue_ttl_ms": policy.queue_ttl_ms}
