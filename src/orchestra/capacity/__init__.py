"""Capacity: scoped quotas, leases, a fair queue and a worker registry, all in the state store."""

from orchestra.capacity.errors import LeaseLostError, WorkerNotFoundError
from orchestra.capacity.model import (
    CapacityRequest,
    Decision,
    Lease,
    QueueEntry,
    ReleaseResult,
    Scope,
    Snapshot,
    Worker,
    WorkerSpec,
)
from orchestra.capacity.service import CapacityService

__all__ = ["CapacityRequest", "CapacityService", "Decision", "Lease", "LeaseLostError", "QueueEntry",
           "ReleaseResult", "Scope", "Snapshot", "Worker", "WorkerNotFoundError", "WorkerSpec"]
