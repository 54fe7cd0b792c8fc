"""Session statuses, the transitions between them, and the audit event each one records."""

from __future__ import annotations

from typing import Literal

SessionStatus = Literal[
    "queued", "requested", "spawned", "active", "suspended", "completed", "failed", "timed_out", "canceled", "closed"
]
UpdateStatus = Literal[
    "spawned", "active", "completed", "failed", "timed_out", "canceled", "closed", "suspended", "resumed"
]

TERMINAL: frozenset[str] = frozenset({"completed", "failed", "timed_out", "canceled", "closed"})
RESERVING: frozenset[str] = frozenset({"requested", "spawned", "active", "suspended"})
"""Statuses that hold one of the workspace's delegation slots."""
EXPIRING: frozenset[str] = RESERVING

#: status reached by each update (``resumed`` lands in ``active``).
TARGET_STATUS: dict[str, SessionStatus] = {
    "spawned": "spawned", "active": "active", "completed": "completed", "failed": "failed",
    "timed_out": "timed_out", "canceled": "canceled", "closed": "closed", "suspended": "suspended",
    "resumed": "active",
}

#: from each status, the updates allowed.
ALLOWED: dict[str, tuple[str, ...]] = {
    "queued": ("canceled", "closed"),
    "requested": ("spawned", "active", "completed", "failed", "timed_out", "canceled"),
    "spawned": ("active", "completed", "failed", "timed_out", "canceled", "suspended"),
    "active": ("active", "completed", "failed", "timed_out", "canceled", "suspended"),
    "suspended": ("resumed", "failed", "timed_out", "canceled"),
    "completed": ("closed",),
    "failed": ("closed",),
    "timed_out": ("closed",),
    "canceled": ("closed",),
    "closed": (),
}

EVENT_TYPES: dict[str, str] = {
    "requested": "RUNTIME_SPAWN_REQUEST_RENDERED",
    "queued": "RUNTIME_DELEGATION_SESSION_QUEUED",
    "promoted": "RUNTIME_DELEGATION_SESSION_PROMOTED",
    "spawned": "RUNTIME_DELEGATION_SESSION_SPAWNED",
    "active": "RUNTIME_DELEGATION_SESSION_HEARTBEAT",
    "suspended": "RUNTIME_DELEGATION_SESSION_SUSPENDED",
    "resumed": "RUNTIME_DELEGATION_SESSION_RESUMED",
    "completed": "RUNTIME_DELEGATION_SESSION_COMPLETED",
    "failed": "RUNTIME_DELEGATION_SESSION_FAILED",
    "timed_out": "RUNTIME_DELEGATION_SESSION_TIMED_OUT",
    "canceled": "RUNTIME_DELEGATION_SESSION_CANCELED",
    "closed": "RUNTIME_DELEGATION_SESSION_CLOSED",
}


def allowed_updates(status: str) -> tuple[str, ...]:
    """The updates a session in ``status`` accepts."""
    return ALLOWED.get(status, ())
