"""Capacity error codes."""

from __future__ import annotations

from orchestra.errors import ConflictError, NotFoundError


class LeaseLostError(ConflictError):
    """The lease ended (released or expired) or the fence does not match; stop the work it covered."""

    code = "lease_lost"


class WorkerNotFoundError(NotFoundError):
    """No worker is registered under that id."""

    code = "worker_not_found"
