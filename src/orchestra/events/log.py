"""The audit log service: append inside a caller's transaction, list, verify the chain."""

from __future__ import annotations

import json
from typing import Any

from orchestra.clock import iso_ms
from orchestra.errors import ValidationError
from orchestra.events.chain import GENESIS_HASH, append_chained, canonical_json, event_hash, hashed_fields
from orchestra.events.model import AuditEvent, ChainReport, NewEvent
from orchestra.store.base import Row, Store, Transaction

MAX_LIST_LIMIT = 500
REQUIRED_TRIGGERS = ("events_no_update", "events_no_delete", "audit_head_no_delete")


class EventLog:
    """Append-only, hash-chained events in the state store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(self, tx: Transaction, event: NewEvent) -> AuditEvent:
        """Record ``event`` inside the caller's write transaction (so it commits with the change)."""
        timestamp = iso_ms()
        try:
            metadata_json = canonical_json(event.metadata)
        except (TypeError, ValueError):
            raise ValidationError("event metadata must be JSON-serialisable") from None
        artifacts_json = canonical_json(event.artifacts)
        seq, event_id, prev_hash, digest = append_chained(
            tx, type_=event.type, actor=event.actor, task_id=event.task_id, summary=event.summary,
            metadata_json=metadata_json, artifacts_json=artifacts_json, timestamp=timestamp)
        return AuditEvent(
            seq=seq, id=event_id, type=event.type, actor=event.actor, task_id=event.task_id,
            summary=event.summary, metadata=json.loads(metadata_json), artifacts=list(event.artifacts),
            timestamp=timestamp, prev_hash=prev_hash, hash=digest,
        )

    def record(self, event: NewEvent) -> AuditEvent:
        """Record ``event`` in a transaction of its own."""
        with self._store.write() as tx:
            return self.append(tx, event)

    def list(
        self,
        *,
        task_id: str | None = None,
        event_type: str | None = None,
        after_seq: int = 0,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Events in chain order, optionally filtered, starting after ``after_seq``."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
        clauses, params = ["seq > ?"], [after_seq]
        if task_id is not None:
            clauses.append("task_id = ?")
            params.append(task_id)  # type: ignore[arg-type]
        if event_type is not None:
            clauses.append("type = ?")
            params.append(event_type)  # type: ignore[arg-type]
        sql = f"SELECT * FROM events WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?"
        with self._store.read() as tx:
            return [_to_event(row) for row in tx.fetchall(sql, (*params, limit))]

    def count(self) -> int:
        """How many events the log holds."""
        with self._store.read() as tx:
            row = tx.fetchone("SELECT COUNT(*) AS n FROM events")
            return int(row["n"]) if row else 0

    def verify(self) -> ChainReport:
        """Walk the whole chain; report the first broken link (edited, deleted, reordered event)."""
        with self._store.read() as tx:
            head = tx.fetchone("SELECT seq, hash FROM audit_head WHERE id = 1")
            triggers = tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {str(r["name"]) for r in triggers}
            warnings = [f"append-only trigger '{name}' is missing" for name in REQUIRED_TRIGGERS
                        if name not in present]
            expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
            for row in tx.iterate("SELECT * FROM events ORDER BY seq"):
                problem = _check_row(row, expected_seq, prev_hash)
                if problem:
                    return _broken(checked, head, int(row["seq"]), problem, warnings)
                prev_hash, expected_seq, checked = str(row["hash"]), expected_seq + 1, checked + 1
        head_seq = int(head["seq"]) if head else 0
        head_hash = str(head["hash"]) if head else GENESIS_HASH
        if head_seq != checked or head_hash != prev_hash:
            problem = (f"the chain ends at event {checked} but the audit head records event {head_seq}: "
                       "events were deleted from the end or the head was altered")
            return _broken(checked, head, checked + 1 if head_seq > checked else head_seq, problem, warnings)
        return ChainReport(ok=True, events_checked=checked, head_seq=head_seq, warnings=warnings)


def _check_row(row: Row, expected_seq: int, prev_hash: str) -> str | None:
    seq = int(row["seq"])
    if seq != expected_seq:
        return f"expected event {expected_seq} but found {seq}: events are missing"
    if row["prev_hash"] != prev_hash:
        return "its previous-hash does not match the event before it (deleted or reordered events)"
    fields = hashed_fields(
        seq=seq, event_id=row["id"], type_=row["type"], actor=row["actor"], task_id=row["task_id"],
        summary=row["summary"], metadata_json=row["metadata"], artifacts_json=row["artifacts"],
        timestamp=row["timestamp"],
    )
    if event_hash(fields, prev_hash) != row["hash"]:
        return "its content does not match its hash (the event was edited)"
    return None


def _broken(checked: int, head: Row | None, seq: int, problem: str, warnings: list[str]) -> ChainReport:
    return ChainReport(
        ok=False, events_checked=checked, head_seq=int(head["seq"]) if head else 0,
        broken_at_seq=seq, problem=problem, warnings=warnings,
    )


def _to_event(row: Row) -> AuditEvent:
    data: dict[str, Any] = dict(row)
    data["metadata"] = json.loads(data["metadata"])
    data["artifacts"] = json.loads(data["artifacts"])
    return AuditEvent.model_validate(data)
