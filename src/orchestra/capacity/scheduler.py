"""The capacity decision, made inside the caller's write transaction.

Evaluation order (fail closed; the first failing step decides):
1. SaaS mode without tenant and workspace → ``rejected_missing_scope``.
2. Scope defaults (local mode), then validation → ``rejected_invalid_request``.
3. Active units against the platform, tenant, workspace, provider and runtime caps
   (and, for delegated spawns, the delegation guardrails). At a limit: queue when the
   limit action is ``queue`` and the queue caps allow (``queued_<level>_limit``),
   ``rejected_queue_full`` when they do not, ``rejected_<level>_limit`` for ``reject``.
4. Worker selection (:mod:`orchestra.capacity.workers`) → ``admitted`` with a lease,
   or ``queued_no_eligible_worker`` / ``deferred_no_eligible_worker``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestra.capacity import leases, queue, quotas
from orchestra.capacity import workers as registry
from orchestra.capacity.model import SCOPE_ID, CapacityRequest, Decision, Lease, QueueEntry, Scope
from orchestra.capacity.reasons import PRIORITY_WEIGHT, DecisionStatus, user_safe_reason
from orchestra.clock import iso_ms
from orchestra.events import EventLog, NewEvent
from orchestra.store.base import Row, Transaction
from orchestra.workspace.config import CapacityConfig

_ID = __import__("re").compile(SCOPE_ID)


@dataclass(frozen=True)
class Engine:
    """Decisions, promotion and expiry over the store (no state of its own)."""

    config: CapacityConfig
    events: EventLog

    @property
    def saas(self) -> bool:
        """Whether every request must carry tenant and workspace."""
        return self.config.mode == "saas"

    # -- deciding ---------------------------------------------------------------------------------------------

    def decide(self, tx: Transaction, request: CapacityRequest, now: datetime, *, holder: str | None = None,
               blocked: bool = False, lease_expires: str | None = None, actor: str = "capacity") -> Decision:
        """Decide ``request`` once (a known ``request_id`` returns the earlier decision)."""
        if request.request_id:
            earlier = tx.fetchone("SELECT body FROM capacity_decisions WHERE request_id = ?", (request.request_id,))
            if earlier is not None:
                return Decision.model_validate({**json.loads(earlier["body"]), "replayed": True})
        stamp = iso_ms(now)
        if self.saas and not (request.tenant_id and request.workspace_id):
            return self._record(tx, request, None, "rejected", "rejected_missing_scope", stamp, holder, actor)
        default = self.config.default_scope
        scope = Scope(platform_id=request.platform_id or default.platform_id,
                      tenant_id=request.tenant_id or default.tenant_id,
                      workspace_id=request.workspace_id or default.workspace_id)
        if not all(_ID.match(r) for r in request.regions):
            return self._record(tx, request, scope, "rejected", "rejected_invalid_request", stamp, holder, actor)
        registry.ensure_local(tx, self.config.platform.max_active, now)
        k = quotas.keys(scope, request.provider, request.runtime)
        caps = quotas.limits(self.config, scope, k)
        tenant = quotas.tenant_policy(self.config, scope.tenant_id)
        action = request.limit_action or tenant.limit_action
        level = "delegation" if blocked else quotas.first_active_limit(tx, caps, request.units)
        if level is not None:
            if action == "reject":
                return self._record(tx, request, scope, "rejected", f"rejected_{level}_limit", stamp, holder, actor)
            if not quotas.queue_fits(tx, caps, request.units):
                return self._record(tx, request, scope, "rejected", "rejected_queue_full", stamp, holder, actor)
            return self._enqueue(tx, request, scope, f"queued_{level}_limit", now, holder, actor)
        picked = self._pick(tx, request, scope, stamp)
        if picked is None:
            if action == "queue" and quotas.queue_fits(tx, caps, request.units):
                return self._enqueue(tx, request, scope, "queued_no_eligible_worker", now, holder, actor)
            return self._record(tx, request, scope, "deferred", "deferred_no_eligible_worker", stamp, holder, actor)
        worker_id, region = picked
        seq = _next_decision(tx)
        expires = lease_expires or iso_ms(now + timedelta(milliseconds=request.lease_ttl_ms
                                                          or self.config.lease_ttl_ms))
        lease = leases.grant(tx, leases.Grant(
            decision_seq=seq, scope=scope, workload_class=request.workload_class, units=request.units,
            provider=request.provider, runtime=request.runtime, region=region, worker_id=worker_id, holder=holder,
            expires_at=expires), stamp)
        return self._record(tx, request, scope, "admitted", "admitted", stamp, holder, actor, seq=seq, lease=lease)

    def _pick(self, tx: Transaction, request: CapacityRequest, scope: Scope,
              stamp: str) -> tuple[str, str | None] | None:
        return registry.select(tx, scope=scope, workload_class=request.workload_class, units=request.units,
                               provider=request.provider, runtime=request.runtime, residency=request.residency,
                               regions=request.regions, strict_regions=request.strict_regions, now=stamp)

    def _enqueue(self, tx: Transaction, request: CapacityRequest, scope: Scope, code: str, now: datetime,
                 holder: str | None, actor: str) -> Decision:
        seq = _next_decision(tx)
        ttl = request.max_queue_ms or quotas.tenant_policy(self.config, scope.tenant_id).queue_ttl_ms
        expires = None if holder is not None else iso_ms(now + timedelta(milliseconds=ttl))
        entry = queue.enqueue(tx, decision_seq=seq, scope=scope, request=request,
                              region=request.regions[0] if request.regions else None,
                              priority=PRIORITY_WEIGHT[request.priority], holder=holder, reason_code=code,
                              now=iso_ms(now), expires_at=expires)
        return self._record(tx, request, scope, "queued", code, iso_ms(now), holder, actor, seq=seq, entry=entry)

    def _record(self, tx: Transaction, request: CapacityRequest, scope: Scope | None, status: DecisionStatus,
                code: str,
                stamp: str, holder: str | None, actor: str, *, seq: int | None = None, lease: Lease | None = None,
                entry: QueueEntry | None = None) -> Decision:
        seq = seq or _next_decision(tx)
        decision = Decision(
            decision_id=f"decision-{seq}", request_id=request.request_id, status=status,
            reason_code=code, user_safe_reason=user_safe_reason(code, saas=self.saas), scope=scope,
            workload_class=request.workload_class, worker_id=lease.worker_id if lease else None, lease=lease,
            queue=entry)
        tx.execute("INSERT INTO capacity_decisions (seq, request_id, status, reason_code, platform_id, tenant_id,"
                   " workspace_id, workload_class, at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (seq, request.request_id, status, code, scope.platform_id if scope else None,
                    scope.tenant_id if scope else None, scope.workspace_id if scope else None,
                    request.workload_class, stamp, decision.model_dump_json()))
        if holder is None:
            self._event(tx, f"CAPACITY_{status.upper()}", actor, f"Capacity request {status}: {code}",
                        {"decisionId": decision.decision_id, "status": status, "reasonCode": code,
                         "scope": scope.model_dump() if scope else None, "workloadClass": request.workload_class,
                         "leaseId": lease.lease_id if lease else None, "queueId": entry.queue_id if entry else None,
                         "workerId": decision.worker_id})
        return decision

    # -- promotion and expiry ---------------------------------------------------------------------------------

    def lease_entry(self, tx: Transaction, row: Row, now: datetime, lease_expires: str | None = None) -> Lease | None:
        """Turn a queue entry into a lease if quotas and a worker allow it now (else None, nothing changed)."""
        request = queue.request_of(row)
        scope = leases.to_scope(row)
        caps = quotas.limits(self.config, scope, quotas.keys(scope, request.provider, request.runtime))
        if quotas.first_active_limit(tx, caps, request.units) is not None:
            return None
        stamp = iso_ms(now)
        picked = self._pick(tx, request, scope, stamp)
        if picked is None:
            return None
        queue.remove(tx, row)
        expires = lease_expires or iso_ms(now + timedelta(milliseconds=request.lease_ttl_ms
                                                          or self.config.lease_ttl_ms))
        return leases.grant(tx, leases.Grant(
            decision_seq=int(row["decision_seq"]), scope=scope, workload_class=request.workload_class,
            units=request.units, provider=request.provider, runtime=request.runtime, region=picked[1],
            worker_id=picked[0], holder=row["holder"], expires_at=expires), stamp)

    def promote(self, tx: Transaction, now: datetime) -> list[str]:
        """Promote unheld queue entries fairly across tenants while capacity allows; returns decision ids."""
        registry.ensure_local(tx, self.config.platform.max_active, now)
        promoted: list[str] = []
        blocked: set[int] = set()
        while True:
            if self._platform_full(tx):
                return promoted
            progress = False
            for platform, tenant, active in queue.tenants_in_fair_order(tx):
                if active >= quotas.tenant_policy(self.config, tenant).max_active:
                    continue
                for row in queue.heads(tx, platform, tenant):
                    if int(row["seq"]) in blocked:
                        continue
                    lease = self.lease_entry(tx, row, now)
                    if lease is None:
                        blocked.add(int(row["seq"]))
                        continue
                    decision_id = f"decision-{row['decision_seq']}"
                    self._event(tx, "CAPACITY_PROMOTED", "orchestra", f"Capacity request promoted: {lease.lease_id}",
                                {"decisionId": decision_id, "queueId": queue.queue_id(int(row["seq"])),
                                 "leaseId": lease.lease_id, "workerId": lease.worker_id,
                                 "scope": lease.scope.model_dump(), "queuedAt": row["enqueued_at"]})
                    promoted.append(decision_id)
                    progress = True
                    break
                if progress:
                    break
            if not progress:
                return promoted

    def _platform_full(self, tx: Transaction) -> bool:
        platform = self.config.default_scope.platform_id
        used = quotas.usage(tx, [f"p|{platform}"])[f"p|{platform}"][0]
        return not self.saas and used >= self.config.platform.max_active

    def expire(self, tx: Transaction, now: datetime) -> tuple[list[str], list[str]]:
        """End overdue unheld leases and drop overdue queue entries; returns (lease ids, queue ids)."""
        stamp = iso_ms(now)
        ended: list[str] = []
        for row in leases.overdue(tx, stamp):
            leases.end(tx, row, "expired", "ttl", stamp)
            ended.append(leases.lease_id(int(row["seq"])))
            self._event(tx, "CAPACITY_LEASE_EXPIRED", "orchestra", f"Capacity lease expired: {ended[-1]}",
                        {"leaseId": ended[-1], "workerId": row["worker_id"], "expiresAt": row["expires_at"],
                         "scope": leases.to_scope(row).model_dump()})
        dropped: list[str] = []
        for row in queue.overdue(tx, stamp):
            queue.remove(tx, row)
            dropped.append(queue.queue_id(int(row["seq"])))
            self._event(tx, "CAPACITY_QUEUE_EXPIRED", "orchestra", f"Queued capacity request expired: {dropped[-1]}",
                        {"queueId": dropped[-1], "decisionId": f"decision-{row['decision_seq']}",
                         "expiresAt": row["expires_at"], "scope": leases.to_scope(row).model_dump()})
        return ended, dropped

    def release(self, tx: Transaction, row: Row, reason: str, now: datetime, actor: str = "capacity") -> None:
        """End an active lease (a holder's release or a session leaving its slot)."""
        leases.end(tx, row, "released", reason, iso_ms(now))
        if row["holder"] is None:
            lease = leases.lease_id(int(row["seq"]))
            self._event(tx, "CAPACITY_RELEASED", actor, f"Capacity lease released: {lease}",
                        {"leaseId": lease, "workerId": row["worker_id"], "reason": reason,
                         "scope": leases.to_scope(row).model_dump()})

    def _event(self, tx: Transaction, kind: str, actor: str, summary: str, metadata: dict[str, object]) -> None:
        self.events.append(tx, NewEvent(type=kind, actor=actor, summary=summary[:2000], metadata=metadata))


def _next_decision(tx: Transaction) -> int:
    row = tx.fetchone("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM capacity_decisions")
    return int(row["n"]) if row else 1
