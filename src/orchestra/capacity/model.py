"""Capacity records: requests, decisions, leases, queue entries, workers and snapshots."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestra.capacity.reasons import DecisionStatus, Priority, WorkloadClass
from orchestra.security.identifiers import SafeId

SCOPE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$"
TAG = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,63}$"
Id = Annotated[str, SafeId]
Affinity = Literal["platform-shared", "single-tenant", "tenant-pool"]
Health = Literal["healthy", "degraded", "draining", "unhealthy", "offline"]
HEALTH_RANK: dict[str, int] = {"healthy": 0, "degraded": 1, "draining": 2, "unhealthy": 3, "offline": 4}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(_Strict):
    """Where a request belongs: platform → tenant → workspace."""

    platform_id: Id = Field(description="Platform id.", pattern=SCOPE_ID)
    tenant_id: Id = Field(description="Tenant id.", pattern=SCOPE_ID)
    workspace_id: Id = Field(description="Workspace id (unique within the tenant).", pattern=SCOPE_ID)


class CapacityRequest(_Strict):
    """One request for runtime capacity. Unset scope fields come from the default scope (local mode only)."""

    request_id: Id | None = Field(None, description="Idempotency key: the same id is decided once.",
                                   pattern=SCOPE_ID)
    platform_id: Id | None = Field(None, pattern=SCOPE_ID)
    tenant_id: Id | None = Field(None, pattern=SCOPE_ID)
    workspace_id: Id | None = Field(None, pattern=SCOPE_ID)
    workload_class: WorkloadClass = "workflow-phase"
    units: int = Field(1, ge=1, le=1_000_000, description="Concurrency units the work needs.")
    provider: Id | None = Field(None, pattern=TAG)
    runtime: Id | None = Field(None, pattern=TAG)
    regions: list[str] = Field(default_factory=list, max_length=16, description="Preferred regions, best first.")
    strict_regions: bool = Field(False, description="Only workers in a preferred region qualify.")
    residency: str | None = Field(None, pattern=TAG, description="Data-residency tag the worker must carry.")
    priority: Priority = "normal"
    limit_action: Literal["queue", "reject"] | None = Field(
        None, description="At a limit: queue or reject (default: the tenant's policy).")
    max_queue_ms: int | None = Field(None, ge=1000, description="Queue TTL (default: the tenant's queueTtlMs).")
    lease_ttl_ms: int | None = Field(None, ge=1000, description="Lease TTL (default: capacity.leaseTtlMs).")


class Lease(BaseModel):
    """Capacity held by admitted work until released or expired."""

    lease_id: str = Field(description="lease-<n>.")
    fence: int = Field(description="Fencing token: pass it back on heartbeat and release.")
    worker_id: str
    scope: Scope
    workload_class: str
    units: int
    provider: str | None = None
    runtime: str | None = None
    region: str | None = None
    holder: str | None = Field(None, description="The delegation session holding the lease, if any.")
    expires_at: str = Field(description="Expiry unless renewed by a heartbeat.")


class QueueEntry(BaseModel):
    """A request waiting for capacity."""

    queue_id: str = Field(description="queue-<n>.")
    position: int = Field(description="1-based position in promotion order within the tenant's queue.")
    reason_code: str
    retry_after_ms: int = 1000
    expires_at: str | None = Field(None, description="When the entry is dropped if not promoted.")


class Decision(BaseModel):
    """The outcome of one request."""

    decision_id: str = Field(description="decision-<n>.")
    request_id: str | None = None
    status: DecisionStatus
    reason_code: str
    user_safe_reason: str
    scope: Scope | None = None
    workload_class: str | None = None
    worker_id: str | None = None
    lease: Lease | None = None
    queue: QueueEntry | None = None
    replayed: bool = Field(False, description="True when request_id was decided before.")


class WorkerSpec(_Strict):
    """A worker as registered (reference §7.1 fields)."""

    worker_id: Id = Field(pattern=SCOPE_ID)
    kind: Id = Field("remote", pattern=TAG)
    affinity: Affinity = "platform-shared"
    allowed_tenants: list[str] = Field(default_factory=list, max_length=1000)
    denied_tenants: list[str] = Field(default_factory=list, max_length=1000)
    workload_classes: list[WorkloadClass] = Field(min_length=1)
    providers: list[str] = Field(default_factory=list, max_length=100, description="'*' = any provider.")
    runtimes: list[str] = Field(default_factory=list, max_length=100, description="'*' = any runtime.")
    regions: list[str] = Field(default_factory=list, max_length=32)
    residency: list[str] = Field(default_factory=list, max_length=32)
    health: Health = "healthy"
    max_units: int = Field(1, ge=1, le=1_000_000)
    heartbeat_ttl_ms: int | None = Field(30_000, ge=1000, description="None: never stale (the local worker).")


class Worker(WorkerSpec):
    """A registered worker with its live state."""

    used_units: int
    failure_count: int
    last_heartbeat_at: str
    circuit_open_until: str | None


class Counts(BaseModel):
    """Active or queued requests broken down by dimension."""

    by_platform: dict[str, int] = Field(default_factory=dict)
    by_tenant: dict[str, int] = Field(default_factory=dict)
    by_workspace: dict[str, int] = Field(default_factory=dict)
    by_workload_class: dict[str, int] = Field(default_factory=dict)
    by_provider: dict[str, int] = Field(default_factory=dict)
    by_runtime: dict[str, int] = Field(default_factory=dict)
    by_region: dict[str, int] = Field(default_factory=dict)
    by_worker_id: dict[str, int] = Field(default_factory=dict)


class Snapshot(BaseModel):
    """Capacity in use, filtered by scope (every figure respects the filter)."""

    mode: str
    scope: dict[str, str] = Field(description="The filter applied (empty: everything).")
    active: int = Field(description="Active leases.")
    active_units: int
    queued: int = Field(description="Queued requests.")
    queued_units: int
    reserved: int = Field(description="Units reserved on workers by the leases counted here.")
    rejected: int = Field(description="Rejected decisions recorded in this scope.")
    deferred: int = Field(description="Deferred decisions recorded in this scope.")
    open_circuits: int = Field(description="Workers whose circuit breaker is open now.")
    limits: dict[str, int] = Field(description="Effective quotas of the most specific scope in the filter.")
    active_by: Counts
    queued_by: Counts
    uri: str = "orchestra://capacity"


class ReleaseResult(BaseModel):
    """What releasing a lease did."""

    released: bool = Field(description="False when the lease was unknown or already ended.")
    lease_id: str
    promoted: list[str] = Field(default_factory=list, description="Decision ids promoted from the queue.")
