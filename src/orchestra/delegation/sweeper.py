"""Expiry and promotion: run inside every write transaction, so no daemon is needed.

Expired sessions (no news before their deadline) become ``timed_out`` and free their
slot and capacity lease; queued requests are then promoted while slots are free: the
task holding the fewest slots first, oldest ticket first among equals (FIFO, fair
across tasks). A session is promoted only if the capacity scheduler turns its queue
entry into a lease in the same transaction, so guardrails and quotas always agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from orchestra.clock import iso_ms
from orchestra.delegation import repository as repo
from orchestra.delegation.lifecycle import EVENT_TYPES
from orchestra.events import EventLog, NewEvent
from orchestra.store.base import Row, Transaction
from orchestra.tasks import flow
from orchestra.workspace.config import DelegationGuardrails

if TYPE_CHECKING:
    from orchestra.capacity import CapacityService


def deadline(status: str, now: datetime, policy: DelegationGuardrails) -> str | None:
    """When a session in ``status`` times out without news (None: never)."""
    if status == "requested":
        return iso_ms(now + timedelta(milliseconds=policy.timeout_ms))
    if status in ("spawned", "active", "suspended"):
        return iso_ms(now + timedelta(milliseconds=policy.stale_claim_ttl_ms))
    return None


def sweep(
    tx: Transaction, events: EventLog, policy: DelegationGuardrails, now: datetime, capacity: CapacityService
) -> tuple[list[str], list[str]]:
    """Expire leases, queue entries and sessions, then promote sessions and other capacity requests.

    Returns (expired session ids, promoted session ids).
    """
    capacity.engine.expire(tx, now)
    expired, promoted = sweep_sessions(tx, events, policy, now, capacity)
    capacity.engine.promote(tx, now)
    return expired, promoted


def sweep_sessions(
    tx: Transaction, events: EventLog, policy: DelegationGuardrails, now: datetime, capacity: CapacityService
) -> tuple[list[str], list[str]]:
    """Expire overdue sessions (releasing their leases), then promote queued ones."""
    stamp = iso_ms(now)
    expired: list[str] = []
    for row in repo.expired_rows(tx, stamp):
        _expire(tx, events, row, stamp)
        capacity.release_held(tx, str(row["session_id"]), "session timed_out", now)
        expired.append(str(row["session_id"]))
    return expired, promote(tx, events, policy, now, capacity)


def _expire(tx: Transaction, events: EventLog, row: Row, stamp: str) -> None:
    why = ("it was not reported spawned within the spawn timeout" if row["status"] == "requested"
           else "no heartbeat arrived within the stale-claim TTL")
    summary = f"Runtime delegation session timed out: {row['session_id']} ({why})"
    event = events.append(tx, NewEvent(
        type=EVENT_TYPES["timed_out"], actor="orchestra", task_id=row["task_id"], summary=summary[:2000],
        metadata={"sessionId": row["session_id"], "previousStatus": row["status"], "status": "timed_out",
                  "reason": "expired", "deadline": row["expires_at"]},
    ))
    repo.update_session(tx, row["session_id"], status="timed_out", updated_at=stamp, expires_at=None)
    repo.add_transition(tx, row["session_id"], from_status=row["status"], to_status="timed_out",
                        event_type=event.type, audit_seq=event.seq, agent_id=row["agent_id"], artifact=None,
                        summary=why, at=stamp)
    flow.follow_session(tx, events, str(row["task_id"]), "timed_out", session_id=str(row["session_id"]), reason=why)


def promote(tx: Transaction, events: EventLog, policy: DelegationGuardrails, now: datetime,
            capacity: CapacityService) -> list[str]:
    """Move queued requests into free slots when capacity grants a lease; returns the promoted session ids."""
    queued = repo.queued_rows(tx)
    if not queued:
        return []
    per_task = repo.reserving_by_task(tx)
    free = policy.max_concurrent_delegates - sum(per_task.values())
    stamp = iso_ms(now)
    promoted: list[str] = []
    while free > 0:
        eligible = [r for r in queued if per_task.get(r["task_id"], 0) < policy.max_spawns_per_task
                    and not flow.unmet_dependencies(tx, str(r["task_id"]))]
        if not eligible:
            break
        row = min(eligible, key=lambda r: (per_task.get(r["task_id"], 0), int(r["queue_seq"])))
        queued.remove(row)
        expires = deadline("requested", now, policy)
        lease = capacity.lease_held(tx, str(row["session_id"]), now, expires or stamp)
        if lease is None:  # a capacity quota (provider, runtime, tenant, worker) still holds it back
            continue
        event = events.append(tx, NewEvent(
            type=EVENT_TYPES["promoted"], actor="orchestra", task_id=row["task_id"],
            summary=f"Runtime delegation session promoted from the queue: {row['session_id']}"[:2000],
            metadata={"sessionId": row["session_id"], "previousStatus": "queued", "status": "requested",
                      "capacity": {"leaseId": lease.lease_id, "workerId": lease.worker_id}},
        ))
        repo.update_session(tx, row["session_id"], status="requested", updated_at=stamp, last_activity_at=stamp,
                            expires_at=expires)
        repo.add_transition(tx, row["session_id"], from_status="queued", to_status="requested",
                            event_type=event.type, audit_seq=event.seq, agent_id=None, artifact=None,
                            summary="a delegation slot became free", at=stamp)
        per_task[row["task_id"]] = per_task.get(row["task_id"], 0) + 1
        free -= 1
        promoted.append(str(row["session_id"]))
    return promoted
