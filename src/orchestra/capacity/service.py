"""CapacityService: decisions, leases, workers and snapshots, each one write transaction.

Every write transaction first runs :meth:`CapacityService.maintain` (expire leases
and queue entries, let registered holders such as delegation expire and promote
their own entries, then promote fairly), so no daemon is needed and several
processes share one view through the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from orchestra.capacity import leases, queue
from orchestra.capacity import snapshot as snapshots
from orchestra.capacity import workers as registry
from orchestra.capacity.errors import LeaseLostError, WorkerNotFoundError
from orchestra.capacity.model import (
    SCOPE_ID,
    CapacityRequest,
    Decision,
    Lease,
    ReleaseResult,
    Snapshot,
    Worker,
    WorkerSpec,
)
from orchestra.capacity.scheduler import Engine
from orchestra.clock import iso_ms
from orchestra.errors import ValidationError
from orchestra.events import EventLog
from orchestra.security.identifiers import shown_id
from orchestra.store.base import Store, Transaction
from orchestra.store.clock import Clock, now_of
from orchestra.validation import describe_validation_error
from orchestra.workspace.config import CapacityConfig

Maintainer = Callable[[Transaction, datetime], None]
_ID = __import__("re").compile(SCOPE_ID)


class CapacityService:
    """The capacity scheduler of one workspace's store."""

    def __init__(self, store: Store, events: EventLog, config: CapacityConfig,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.config = config
        self.engine = Engine(config, events)
        self.clock = clock
        """A fake clock for tests; ``None`` (the default): the store's clock (the database server's)."""
        self._maintainers: list[Maintainer] = []

    def add_maintainer(self, hook: Maintainer) -> None:
        """Run ``hook(tx, now)`` in every capacity write transaction, after expiry and before promotion."""
        self._maintainers.append(hook)

    def maintain(self, tx: Transaction, now: datetime) -> list[str]:
        """Expire, run holders' hooks, promote; returns promoted decision ids."""
        self.engine.expire(tx, now)
        for hook in self._maintainers:
            hook(tx, now)
        return self.engine.promote(tx, now)

    # -- requests and leases ----------------------------------------------------------------------------------

    def request(self, data: CapacityRequest | dict[str, Any], *, actor: str = "capacity") -> Decision:
        """Decide one request: admitted (with a lease), queued, rejected or deferred."""
        try:
            request = data if isinstance(data, CapacityRequest) else CapacityRequest.model_validate(data)
        except PydanticValidationError:
            request, invalid = CapacityRequest(), True
        else:
            invalid = False
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            self.maintain(tx, now)
            if invalid:
                return self.engine._record(tx, request, None, "rejected", "rejected_invalid_request", iso_ms(now),
                                           None, actor)
            return self.engine.decide(tx, request, now, actor=actor)

    def heartbeat(self, lease_id: str, fence: int, ttl_ms: int | None = None) -> Lease:
        """Renew a lease (by ``ttl_ms`` or the configured lease TTL); ``lease_lost`` when it ended."""
        seq = self._lease_seq(lease_id)
        if ttl_ms is not None and ttl_ms < 1000:
            raise ValidationError("ttl_ms must be at least 1000")
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            self.maintain(tx, now)
            row = leases.get(tx, seq)
            if row is not None and row["holder"] is not None:
                raise ValidationError("this lease belongs to a delegation session; report session heartbeats")
            expires = iso_ms(now + timedelta(milliseconds=ttl_ms or self.config.lease_ttl_ms))
            if row is None or not leases.renew(tx, seq, fence, expires, iso_ms(now)):
                raise LeaseLostError(f"{lease_id} is no longer held (released, expired or another fence)")
            found = leases.get(tx, seq)
            assert found is not None
            return leases.to_lease(found)

    def release(self, lease_id: str, fence: int | None = None, *, actor: str = "capacity") -> ReleaseResult:
        """Release a lease and promote queued work; an unknown or ended lease releases nothing."""
        seq = self._lease_seq(lease_id)
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            promoted = self.maintain(tx, now)
            row = leases.get(tx, seq)
            if row is None or row["status"] != "active" or (fence is not None and int(row["fence"]) != fence):
                return ReleaseResult(released=False, lease_id=lease_id, promoted=promoted)
            if row["holder"] is not None:
                raise ValidationError("this lease belongs to a delegation session; finish the session instead")
            self.engine.release(tx, row, "released", now, actor)
            promoted += self.maintain(tx, now)
        return ReleaseResult(released=True, lease_id=lease_id, promoted=promoted)

    def sweep(self) -> list[str]:
        """Expire and promote now (any process may call it); returns promoted decision ids."""
        with self.store.write() as tx:
            return self.maintain(tx, now_of(tx, self.clock))

    # -- inside a caller's transaction (delegation) -----------------------------------------------------------

    def release_held(self, tx: Transaction, holder: str, reason: str, now: datetime) -> None:
        """Drop whatever ``holder`` has: its active lease or its queue entry."""
        row = leases.by_holder(tx, holder)
        if row is not None:
            self.engine.release(tx, row, reason, now)
        entry = queue.by_holder(tx, holder)
        if entry is not None:
            queue.remove(tx, entry)

    def renew_held(self, tx: Transaction, holder: str, expires_at: str, now: datetime) -> None:
        """Move the expiry of ``holder``'s lease (it follows the session's deadline)."""
        row = leases.by_holder(tx, holder)
        if row is not None:
            leases.renew(tx, int(row["seq"]), int(row["fence"]), expires_at, iso_ms(now))

    def lease_held(self, tx: Transaction, holder: str, now: datetime, expires_at: str) -> Lease | None:
        """Promote ``holder``'s queue entry to a lease if capacity allows now."""
        entry = queue.by_holder(tx, holder)
        if entry is not None:
            return self.engine.lease_entry(tx, entry, now, expires_at)
        if leases.by_holder(tx, holder) is not None:
            return None
        # a session queued before capacity existed (schema < 5): decide it now
        request = CapacityRequest(workload_class="runtime-native-spawn")
        return self.engine.decide(tx, request, now, holder=holder, lease_expires=expires_at).lease

    # -- workers ----------------------------------------------------------------------------------------------

    def register_worker(self, spec: WorkerSpec | dict[str, Any]) -> Worker:
        """Add or replace a worker (its used units and failure count are kept)."""
        try:
            parsed = spec if isinstance(spec, WorkerSpec) else WorkerSpec.model_validate(spec)
        except PydanticValidationError as exc:
            raise ValidationError(describe_validation_error(exc, "worker")) from None
        if parsed.affinity == "single-tenant" and len(parsed.allowed_tenants) != 1:
            raise ValidationError("a single-tenant worker lists exactly one allowed tenant")
        if parsed.worker_id == registry.LOCAL_WORKER_ID:
            raise ValidationError(f"{registry.LOCAL_WORKER_ID} is the built-in local worker")
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            registry.register(tx, parsed, now)
            self.maintain(tx, now)
            return self._worker(tx, parsed.worker_id)

    def worker_heartbeat(self, worker_id: str, health: str | None = None) -> Worker:
        """Record a worker's heartbeat (and health: healthy, degraded, draining, unhealthy, offline)."""
        if health is not None and health not in ("healthy", "degraded", "draining", "unhealthy", "offline"):
            raise ValidationError(f"unknown health '{shown_id(health, 40)}'")
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            registry.ensure_local(tx, self.config.platform.max_active, now)
            if not registry.heartbeat(tx, worker_id, now, health):
                raise WorkerNotFoundError(f"runtime worker {worker_id[:200]} is not registered")
            self.maintain(tx, now)
            return self._worker(tx, worker_id)

    def set_circuit(self, worker_id: str, open_for_ms: int | None) -> Worker:
        """Open a worker's circuit for ``open_for_ms`` (a failure is counted), or close it with None."""
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            until = iso_ms(now + timedelta(milliseconds=open_for_ms)) if open_for_ms else None
            registry.ensure_local(tx, self.config.platform.max_active, now)
            if not registry.set_circuit(tx, worker_id, until, failed=open_for_ms is not None):
                raise WorkerNotFoundError(f"runtime worker {worker_id[:200]} is not registered")
            self.maintain(tx, now)
            return self._worker(tx, worker_id)

    def workers(self, limit: int = 500) -> list[Worker]:
        """Registered workers in id order."""
        with self.store.read() as tx:
            return registry.list_all(tx, limit)

    # -- reads ------------------------------------------------------------------------------------------------

    def snapshot(self, *, platform_id: str | None = None, tenant_id: str | None = None,
                 workspace_id: str | None = None) -> Snapshot:
        """Active and queued capacity; in SaaS mode a tenant must be named and nothing else is shown."""
        scope = {k: v for k, v in (("platform_id", platform_id), ("tenant_id", tenant_id),
                                   ("workspace_id", workspace_id)) if v is not None}
        for key, value in scope.items():
            if not _ID.match(value):
                raise ValidationError(f"{key} must be an id (letters, digits, . _ : @ / + = -)")
        if self.config.mode == "saas" and "tenant_id" not in scope:
            raise ValidationError("tenant and workspace scope are required in SaaS mode (name at least the tenant)")
        if workspace_id is not None and tenant_id is None:
            raise ValidationError("a workspace filter needs its tenant")
        if self.config.mode == "saas" and "platform_id" not in scope:
            scope = {"platform_id": self.config.default_scope.platform_id, **scope}
        with self.store.read() as tx:
            return snapshots.build(tx, self.config, scope, iso_ms(now_of(tx, self.clock)))

    def _worker(self, tx: Transaction, worker_id: str) -> Worker:
        worker = registry.get(tx, worker_id)
        if worker is None:
            raise WorkerNotFoundError(f"runtime worker {worker_id[:200]} is not registered")
        return worker

    @staticmethod
    def _lease_seq(lease_id: str) -> int:
        seq = leases.parse_id(lease_id)
        if seq is None:
            raise ValidationError("lease_id must look like lease-<n>")
        return seq
