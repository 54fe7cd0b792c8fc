"""Queue entries in the store: enqueue, position, expiry, and the fair order of promotion.

Promotion order: among tenants with queued work, the tenant holding the fewest
active units goes first (ties: the tenant whose last lease is oldest, then tenant
key), so one tenant flooding the queue cannot starve the others; within a tenant,
priority (high, normal, low) then arrival order. A tenant at its own active cap is
skipped; when the platform is full, promotion stops.
"""

from __future__ import annotations

import json

from orchestra.capacity import quotas
from orchestra.capacity.leases import to_scope
from orchestra.capacity.model import CapacityRequest, QueueEntry, Scope
from orchestra.store.base import Row, Transaction
from orchestra.store.dialect import not_indexed

HEAD_SCAN = 32


def enqueue(tx: Transaction, *, decision_seq: int, scope: Scope, request: CapacityRequest, region: str | None,
            priority: int, holder: str | None, reason_code: str, now: str, expires_at: str | None) -> QueueEntry:
    """Insert a queue entry and count its queued units."""
    row = tx.fetchone("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM capacity_queue")
    seq = int(row["n"]) if row else 1
    tx.execute(
        "INSERT INTO capacity_queue (seq, decision_seq, platform_id, tenant_id, workspace_id, workload_class,"
        " provider, runtime, region, units, priority, holder, reason_code, request, enqueued_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, decision_seq, scope.platform_id, scope.tenant_id, scope.workspace_id, request.workload_class,
         request.provider, request.runtime, region, request.units, priority, holder, reason_code,
         request.model_dump_json(), now, expires_at),
    )
    quotas.bump(tx, _scope_keys(scope), queued=request.units)
    return QueueEntry(queue_id=queue_id(seq), position=position(tx, scope, priority, seq), reason_code=reason_code,
                      expires_at=expires_at)


def queue_id(seq: int) -> str:
    """The public id of queue entry ``seq``."""
    return f"queue-{seq}"


def position(tx: Transaction, scope: Scope, priority: int, seq: int) -> int:
    """1-based position among the tenant's own entries (other tenants' volume is not revealed)."""
    row = tx.fetchone("SELECT COUNT(*) AS n FROM capacity_queue WHERE platform_id = ? AND tenant_id = ? AND"
                      " (priority > ? OR (priority = ? AND seq <= ?))",
                      (scope.platform_id, scope.tenant_id, priority, priority, seq))
    return int(row["n"]) if row else 1


def remove(tx: Transaction, row: Row) -> None:
    """Delete an entry and uncount its queued units."""
    if tx.execute("DELETE FROM capacity_queue WHERE seq = ?", (row["seq"],)):
        quotas.bump(tx, _scope_keys(to_scope(row)), queued=-int(row["units"]))


def by_holder(tx: Transaction, holder: str) -> Row | None:
    """The queue entry of a holder (a delegation session)."""
    return tx.fetchone("SELECT * FROM capacity_queue WHERE holder = ?", (holder,))


def overdue(tx: Transaction, now: str) -> list[Row]:
    """Entries past their queue TTL."""
    return tx.fetchall("SELECT * FROM capacity_queue WHERE expires_at IS NOT NULL AND expires_at < ?"
                       " ORDER BY expires_at, seq", (now,))


def request_of(row: Row) -> CapacityRequest:
    """The request an entry was queued for."""
    return CapacityRequest.model_validate(json.loads(row["request"]))


def tenants_in_fair_order(tx: Transaction) -> list[tuple[str, str, int]]:
    """(platform, tenant, active units) of tenants with queued work, fewest active first."""
    rows = tx.fetchall("SELECT key, active FROM capacity_usage WHERE key >= 't|' AND key < 't}' AND queued > 0"
                       " ORDER BY active, served_seq, key")
    out = []
    for r in rows:
        _, platform, tenant = str(r["key"]).split("|", 2)
        out.append((platform, tenant, int(r["active"])))
    return out


def heads(tx: Transaction, platform: str, tenant: str, limit: int = HEAD_SCAN) -> list[Row]:
    """The first unheld entries of a tenant in promotion order (priority, then arrival)."""
    return tx.fetchall("SELECT * FROM capacity_queue WHERE platform_id = ? AND tenant_id = ?"
                       f" AND {not_indexed(tx.dialect, 'holder')} IS NULL ORDER BY priority DESC, seq LIMIT ?",
                       (platform, tenant, limit))


def _scope_keys(scope: Scope) -> list[str]:
    k = quotas.keys(scope, None, None)
    return [k.platform, k.tenant, k.workspace]
