"""SQL for delegation sessions and transitions; every function runs inside the caller's transaction."""

from __future__ import annotations

import json
from typing import Any

from orchestra.delegation.lifecycle import RESERVING, TERMINAL
from orchestra.delegation.model import Session, SessionArtifacts, Transition
from orchestra.store.base import Row, Transaction

_RESERVING = tuple(sorted(RESERVING))
_IN_RESERVING = f"status IN ({', '.join('?' * len(_RESERVING))})"


def insert_session(tx: Transaction, session: Session, *, idempotency_key: str | None, fingerprint: str,
                   queue_seq: int | None, prompt: str) -> None:
    """Insert a new session row (with its child prompt: the durable copy of the prompt file)."""
    tx.execute(
        "INSERT INTO delegation_sessions (session_id, task_id, run_id, phase, role, runtime, depth, status, agent_id,"
        " brief, idempotency_key, request_fingerprint, queue_seq, created_at, updated_at, last_activity_at,"
        " expires_at, artifacts, summary, result, prompt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session.session_id, session.task_id, session.run_id, session.phase, session.role, session.runtime,
         session.depth, session.status, session.agent_id, session.brief, idempotency_key, fingerprint, queue_seq,
         session.created_at, session.updated_at, session.last_activity_at, session.expires_at,
         session.artifacts.model_dump_json(), session.summary, None, prompt),
    )


def update_session(tx: Transaction, session_id: str, **fields: Any) -> None:
    """Set columns of one session (``result`` and ``artifacts`` are serialised)."""
    if "result" in fields and fields["result"] is not None:
        fields["result"] = json.dumps(fields["result"], sort_keys=True)
    if "artifacts" in fields:
        fields["artifacts"] = fields["artifacts"].model_dump_json()
    assignments = ", ".join(f"{name} = ?" for name in fields)
    tx.execute(f"UPDATE delegation_sessions SET {assignments} WHERE session_id = ?", (*fields.values(), session_id))


def get_row(tx: Transaction, session_id: str) -> Row | None:
    """One session row."""
    return tx.fetchone("SELECT * FROM delegation_sessions WHERE session_id = ?", (session_id,))


def stored_prompt(tx: Transaction, session_id: str) -> str | None:
    """The child prompt kept in the row (``None`` for sessions made before prompts were kept)."""
    row = tx.fetchone("SELECT prompt FROM delegation_sessions WHERE session_id = ?", (session_id,))
    return str(row["prompt"]) if row is not None and row["prompt"] is not None else None


def by_idempotency_key(tx: Transaction, key: str) -> Row | None:
    """The session created with ``key``, if any."""
    return tx.fetchone("SELECT * FROM delegation_sessions WHERE idempotency_key = ?", (key,))


def reserving_counts(tx: Transaction, task_id: str) -> tuple[int, int]:
    """Slots held in the whole workspace, and by ``task_id``."""
    total = tx.fetchone(f"SELECT COUNT(*) AS n FROM delegation_sessions WHERE {_IN_RESERVING}", _RESERVING)
    task = tx.fetchone(f"SELECT COUNT(*) AS n FROM delegation_sessions WHERE {_IN_RESERVING} AND task_id = ?",
                       (*_RESERVING, task_id))
    return int(total["n"]) if total else 0, int(task["n"]) if task else 0


def queued_count(tx: Transaction) -> int:
    """Requests waiting for a slot."""
    row = tx.fetchone("SELECT COUNT(*) AS n FROM delegation_sessions WHERE status = 'queued'")
    return int(row["n"]) if row else 0


def next_queue_seq(tx: Transaction) -> int:
    """A FIFO ticket, larger than every ticket handed out so far."""
    row = tx.fetchone("SELECT COALESCE(MAX(queue_seq), 0) + 1 AS n FROM delegation_sessions")
    return int(row["n"]) if row else 1


def queued_rows(tx: Transaction) -> list[Row]:
    """Queued requests in ticket order."""
    return tx.fetchall("SELECT * FROM delegation_sessions WHERE status = 'queued' ORDER BY queue_seq")


def queue_position(tx: Transaction, queue_seq: int) -> int:
    """1-based position of a ticket in the queue."""
    row = tx.fetchone("SELECT COUNT(*) AS n FROM delegation_sessions WHERE status = 'queued' AND queue_seq <= ?",
                      (queue_seq,))
    return int(row["n"]) if row else 0


def reserving_by_task(tx: Transaction) -> dict[str, int]:
    """Slots held per task."""
    rows = tx.fetchall(f"SELECT task_id, COUNT(*) AS n FROM delegation_sessions WHERE {_IN_RESERVING}"
                       " GROUP BY task_id", _RESERVING)
    return {str(r["task_id"]): int(r["n"]) for r in rows}


def expired_rows(tx: Transaction, now: str) -> list[Row]:
    """Sessions holding a slot whose deadline has passed."""
    return tx.fetchall(f"SELECT * FROM delegation_sessions WHERE {_IN_RESERVING} AND expires_at IS NOT NULL"
                       " AND expires_at < ? ORDER BY expires_at", (*_RESERVING, now))


def has_expired(tx: Transaction, now: str) -> bool:
    """Whether any session is past its deadline (cheap check before a sweep)."""
    row = tx.fetchone(f"SELECT 1 FROM delegation_sessions WHERE {_IN_RESERVING} AND expires_at IS NOT NULL"
                      " AND expires_at < ? LIMIT 1", (*_RESERVING, now))
    return row is not None


def list_rows(tx: Transaction, *, task_id: str | None, status: str | None, include_closed: bool,
              limit: int) -> list[Row]:
    """Sessions, newest first."""
    clauses: list[str] = []
    params: list[Any] = []
    if task_id is not None:
        clauses.append("task_id = ?")
        params.append(task_id)
    if status is not None:
        clauses.append("status = ?")
        params.append(status)
    elif not include_closed:
        clauses.append("status != 'closed'")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return tx.fetchall(f"SELECT * FROM delegation_sessions {where} ORDER BY created_at DESC, session_id LIMIT ?",
                       (*params, limit))


def status_counts(tx: Transaction, task_id: str | None) -> dict[str, int]:
    """Sessions per status (optionally for one task)."""
    if task_id is None:
        rows = tx.fetchall("SELECT status, COUNT(*) AS n FROM delegation_sessions GROUP BY status")
    else:
        rows = tx.fetchall("SELECT status, COUNT(*) AS n FROM delegation_sessions WHERE task_id = ? GROUP BY status",
                           (task_id,))
    return {str(r["status"]): int(r["n"]) for r in rows}


def add_transition(tx: Transaction, session_id: str, *, from_status: str | None, to_status: str, event_type: str,
                   audit_seq: int | None, agent_id: str | None, artifact: str | None, summary: str | None,
                   at: str) -> Transition:
    """Append a lifecycle step."""
    row = tx.fetchone("SELECT COALESCE(MAX(n), 0) + 1 AS n FROM delegation_transitions WHERE session_id = ?",
                      (session_id,))
    n = int(row["n"]) if row else 1
    tx.execute(
        "INSERT INTO delegation_transitions (session_id, n, from_status, to_status, event_type, audit_seq, agent_id,"
        " artifact, summary, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, n, from_status, to_status, event_type, audit_seq, agent_id, artifact, summary, at),
    )
    return Transition(n=n, from_status=from_status, to_status=to_status, event_type=event_type, audit_seq=audit_seq,
                      agent_id=agent_id, artifact=artifact, summary=summary, at=at)


def transitions(tx: Transaction, session_id: str) -> list[Transition]:
    """A session's lifecycle steps in order."""
    rows = tx.fetchall("SELECT * FROM delegation_transitions WHERE session_id = ? ORDER BY n", (session_id,))
    return [Transition.model_validate({k: r[k] for k in r.keys() if k != "session_id"}) for r in rows]  # noqa: SIM118


def find_transition(tx: Transaction, session_id: str, event_type: str, agent_id: str | None,
                    artifact: str | None) -> Transition | None:
    """An earlier identical step (same event type, agent id and artifact), for idempotent repeats."""
    for step in reversed(transitions(tx, session_id)):
        if step.event_type == event_type and (agent_id is None or step.agent_id == agent_id) and (
            artifact is None or step.artifact == artifact
        ):
            return step
    return None


def to_session(row: Row, *, queue_position: int | None = None) -> Session:
    """A row as a :class:`Session`."""
    return Session(
        session_id=row["session_id"], task_id=row["task_id"], run_id=row["run_id"], phase=row["phase"],
        role=row["role"], runtime=row["runtime"], depth=int(row["depth"]), status=row["status"],
        agent_id=row["agent_id"], brief=row["brief"], created_at=row["created_at"], updated_at=row["updated_at"],
        last_activity_at=row["last_activity_at"], expires_at=row["expires_at"], queue_position=queue_position,
        artifacts=SessionArtifacts.model_validate_json(row["artifacts"]), summary=row["summary"],
        result=json.loads(row["result"]) if row["result"] else None, terminal=row["status"] in TERMINAL,
    )
