"""How a task's status moves: the allowed transitions, dependencies, and following its sessions.

Every change goes through :func:`set_status` inside the caller's write transaction, with one
``TASK_STATUS_CHANGED`` audit event, so a manual ``task_update`` and an automatic move (a
session spawned, completed or failed) leave the same record.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from orchestra.clock import iso_ms
from orchestra.errors import ConflictError

if TYPE_CHECKING:
    from orchestra.events import EventLog
    from orchestra.store.base import Row, Transaction

ALLOWED: dict[str, frozenset[str]] = {
    "planned": frozenset({"in_progress", "blocked", "review", "done", "canceled"}),
    "in_progress": frozenset({"planned", "blocked", "review", "done", "canceled"}),
    "blocked": frozenset({"planned", "in_progress", "review", "canceled"}),
    "review": frozenset({"in_progress", "blocked", "done", "canceled"}),
    "done": frozenset({"in_progress", "review"}),
    "canceled": frozenset({"planned"}),
}
"""From each status, the statuses a task may move to (``done``/``canceled`` can be reopened)."""
LIVE_SESSIONS = ("queued", "requested", "spawned", "active", "suspended")
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}
OnComplete = Literal["review", "done"]


class InvalidTaskTransitionError(ConflictError):
    """The task cannot move to that status from where it is."""

    code = "invalid_transition"


def check_transition(task_id: str, current: str, target: str) -> None:
    """Raise ``invalid_transition`` naming the allowed statuses."""
    if target != current and target not in ALLOWED.get(current, frozenset()):
        allowed = ", ".join(sorted(ALLOWED.get(current, frozenset()))) or "nothing"
        raise InvalidTaskTransitionError(f"task {task_id} is {current}; it cannot become {target}. Allowed: {allowed}",
                                         details={"status": current, "allowed": sorted(ALLOWED.get(current, ()))})


def unmet_dependencies(tx: Transaction, task_id: str) -> list[tuple[str, str]]:
    """``(dependency id, its status)`` for each dependency of ``task_id`` that is not done."""
    row = tx.fetchone("SELECT depends_on FROM tasks WHERE id = ?", (task_id,))
    deps = json.loads(row["depends_on"]) if row else []
    out: list[tuple[str, str]] = []
    for dep in deps:
        found = tx.fetchone("SELECT status FROM tasks WHERE id = ?", (dep,))
        status = str(found["status"]) if found else "missing"
        if status != "done":
            out.append((str(dep), status))
    return out


def describe_unmet(task_id: str, unmet: list[tuple[str, str]]) -> str:
    """``task B depends on A (planned), C (in_progress), not done yet``."""
    listed = ", ".join(f"{dep} ({status})" for dep, status in unmet)
    return f"task {task_id} depends on {listed}, not done yet"


def set_status(tx: Transaction, events: EventLog, row: Row, target: str, *, reason: str | None, actor: str,
               trigger: str, session_id: str | None = None) -> bool:
    """Move the task in ``row`` to ``target`` (no check here) and audit it; ``False`` when already there."""
    from orchestra.events import NewEvent

    current = str(row["status"])
    if current == target and (row["status_reason"] or None) == reason:
        return False
    now = iso_ms()
    tx.execute("UPDATE tasks SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?",
               (target, reason, now, row["id"]))
    metadata: dict[str, object] = {"from": current, "to": target, "trigger": trigger}
    if reason:
        metadata["reason"] = reason[:1000]
    if session_id:
        metadata["sessionId"] = session_id
    events.append(tx, NewEvent(type="TASK_STATUS_CHANGED", actor=actor, task_id=str(row["id"]),
                               summary=f"Task {row['id']}: {current} -> {target}"[:2000], metadata=metadata))
    return True


def follow_session(tx: Transaction, events: EventLog, task_id: str, session_status: str, *, session_id: str,
                   reason: str | None = None, on_complete: OnComplete = "review") -> str | None:
    """Move the task after one of its sessions changed; returns the new task status, if it moved.

    A spawn takes a planned or blocked task to ``in_progress``; a failure (``failed``, ``timed_out``)
    blocks it with the reason; when no session of the task is live any more and this one completed,
    the task goes to ``review`` (or ``done``, per config)."""
    row = tx.fetchone("SELECT * FROM tasks WHERE id = ?", (task_id,))
    if row is None:
        return None
    current = str(row["status"])
    target: str | None = None
    why: str | None = None
    if session_status in ("requested", "queued", "spawned", "active"):
        target = "in_progress" if current in ("planned", "blocked") else None
    elif session_status in ("failed", "timed_out"):
        if current in ("planned", "in_progress", "review"):
            target, why = "blocked", f"session {session_id} {session_status}" + (f": {reason}" if reason else "")
    elif session_status == "completed" and current in ("planned", "in_progress", "blocked"):
        marks = ", ".join("?" for _ in LIVE_SESSIONS)
        live = tx.fetchone(f"SELECT COUNT(*) AS n FROM delegation_sessions WHERE task_id = ? AND status IN ({marks})"
                           " AND session_id != ?", (task_id, *LIVE_SESSIONS, session_id))
        if live is not None and int(live["n"]) == 0:
            target = on_complete
    if target is None:
        return None
    set_status(tx, events, row, target, reason=why, actor="orchestra", trigger=f"session {session_status}",
               session_id=session_id)
    return target


def would_cycle(tx: Transaction, task_id: str, depends_on: list[str]) -> list[str] | None:
    """The dependency path back to ``task_id`` if adding ``depends_on`` makes a cycle, else ``None``."""
    stack = [(dep, [task_id, dep]) for dep in depends_on]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == task_id:
            return path
        if current in seen:
            continue
        seen.add(current)
        row = tx.fetchone("SELECT depends_on FROM tasks WHERE id = ?", (current,))
        for dep in json.loads(row["depends_on"]) if row else []:
            stack.append((str(dep), [*path, str(dep)]))
    return None
