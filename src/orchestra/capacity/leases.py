"""Leases in the store: grant, renew (heartbeat), release and expire, each updating counters and workers.

A lease's ``fence`` is its grant number (monotonic across the store): a heartbeat or
release naming an ended lease or a wrong fence changes nothing, so a stalled holder
cannot act on capacity that was taken from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.capacity import quotas
from orchestra.capacity import workers as registry
from orchestra.capacity.model import Lease, Scope
from orchestra.store.base import Row, Transaction
from orchestra.store.dialect import not_indexed


@dataclass(frozen=True)
class Grant:
    """What a new lease covers."""

    decision_seq: int
    scope: Scope
    workload_class: str
    units: int
    provider: str | None
    runtime: str | None
    region: str | None
    worker_id: str
    holder: str | None
    expires_at: str


def grant(tx: Transaction, g: Grant, now: str) -> Lease:
    """Insert an active lease, reserve the worker's units and count the active units."""
    row = tx.fetchone("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM capacity_leases")
    seq = int(row["n"]) if row else 1
    tx.execute(
        "INSERT INTO capacity_leases (seq, fence, decision_seq, status, platform_id, tenant_id, workspace_id,"
        " workload_class, provider, runtime, region, worker_id, units, holder, created_at, renewed_at, expires_at)"
        " VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, seq, g.decision_seq, g.scope.platform_id, g.scope.tenant_id, g.scope.workspace_id, g.workload_class,
         g.provider, g.runtime, g.region, g.worker_id, g.units, g.holder, now, now, g.expires_at),
    )
    registry.reserve(tx, g.worker_id, g.units)
    k = quotas.keys(g.scope, g.provider, g.runtime)
    quotas.bump(tx, k.all(), active=g.units)
    tx.execute("UPDATE capacity_usage SET served_seq = ? WHERE key = ?", (seq, k.tenant))
    return Lease(lease_id=lease_id(seq), fence=seq, worker_id=g.worker_id, scope=g.scope,
                 workload_class=g.workload_class, units=g.units, provider=g.provider, runtime=g.runtime,
                 region=g.region, holder=g.holder, expires_at=g.expires_at)


def lease_id(seq: int) -> str:
    """The public id of lease ``seq``."""
    return f"lease-{seq}"


def parse_id(value: str) -> int | None:
    """The seq of ``lease-<n>`` (None when malformed)."""
    head, _, tail = value.partition("-")
    return int(tail) if head == "lease" and tail.isdigit() and len(tail) < 19 else None


def get(tx: Transaction, seq: int) -> Row | None:
    """One lease row."""
    return tx.fetchone("SELECT * FROM capacity_leases WHERE seq = ?", (seq,))


def by_holder(tx: Transaction, holder: str) -> Row | None:
    """The active lease of a holder (a delegation session)."""
    return tx.fetchone("SELECT * FROM capacity_leases WHERE holder = ? AND status = 'active'", (holder,))


def renew(tx: Transaction, seq: int, fence: int, expires_at: str, now: str) -> bool:
    """Extend an active lease whose fence matches; False when it was lost."""
    return tx.execute("UPDATE capacity_leases SET expires_at = ?, renewed_at = ? WHERE seq = ? AND fence = ?"
                      " AND status = 'active'", (expires_at, now, seq, fence)) > 0


def end(tx: Transaction, row: Row, status: str, reason: str, now: str) -> None:
    """Release or expire an active lease: free the worker's units and the counters."""
    changed = tx.execute("UPDATE capacity_leases SET status = ?, ended_at = ?, end_reason = ? WHERE seq = ?"
                         " AND status = 'active'", (status, now, reason, row["seq"]))
    if not changed:
        return
    units = int(row["units"])
    registry.reserve(tx, str(row["worker_id"]), -units)
    scope = to_scope(row)
    quotas.bump(tx, quotas.keys(scope, row["provider"], row["runtime"]).all(), active=-units)


def overdue(tx: Transaction, now: str) -> list[Row]:
    """Active leases past their expiry that no session holds (sessions expire through delegation)."""
    return tx.fetchall("SELECT * FROM capacity_leases WHERE status = 'active' AND expires_at < ?"
                       f" AND {not_indexed(tx.dialect, 'holder')} IS NULL ORDER BY expires_at, seq", (now,))


def to_scope(row: Row) -> Scope:
    """The scope of a lease or queue row."""
    return Scope(platform_id=row["platform_id"], tenant_id=row["tenant_id"], workspace_id=row["workspace_id"])


def to_lease(row: Row) -> Lease:
    """A lease row as a :class:`Lease`."""
    return Lease(lease_id=lease_id(int(row["seq"])), fence=int(row["fence"]), worker_id=row["worker_id"],
                 scope=to_scope(row), workload_class=row["workload_class"], units=int(row["units"]),
                 provider=row["provider"], runtime=row["runtime"], region=row["region"], holder=row["holder"],
                 expires_at=row["expires_at"])
