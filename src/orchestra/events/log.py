"""The audit log service: append inside a caller's transaction, list, verify the chain.

Links are HMAC-SHA256 with a key derived from the workspace key (``.agent-workflow/keys/``,
outside the database). A database from before the keyed chain keeps its plain-sha256 links:
the migration records where keyed links begin, and the first open with the key seals that
boundary (a MAC over it and the last legacy link), so the legacy prefix cannot be rewritten
either. The audit head carries its own MAC, so moving it back needs the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestra.clock import iso_ms
from orchestra.errors import ValidationError
from orchestra.events.chain import (
    GENESIS_HASH,
    ChainKey,
    append_chained,
    canonical_json,
    event_hash,
    hashed_fields,
    same,
    seal_chain,
)
from orchestra.events.model import AuditAnchor, AuditEvent, ChainReport, NewEvent
from orchestra.store.base import Row, Store, Transaction

MAX_LIST_LIMIT = 500
REQUIRED_TRIGGERS = ("events_no_update", "events_no_delete", "audit_head_no_delete", "audit_chain_no_delete",
                     "audit_chain_sealed")

_TRIGGERS_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    "postgres": "SELECT t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
}


class EventLog:
    """Append-only, HMAC-chained events in the state store."""

    def __init__(self, store: Store, key: ChainKey) -> None:
        self._store = store
        self._key = key

    def seal(self) -> None:
        """Seal the legacy/keyed boundary left by the migration (once; a no-op when already sealed)."""
        with self._store.read() as tx:
            row = tx.fetchone("SELECT mac FROM audit_chain WHERE id = 1")
        if row is None or row["mac"]:
            return  # sealed, or the seal was removed (verify reports that; it is never re-created)
        with self._store.write() as tx:
            self._seal(tx)

    def _seal(self, tx: Transaction) -> None:
        seal_chain(tx, self._key)

    def append(self, tx: Transaction, event: NewEvent) -> AuditEvent:
        """Record ``event`` inside the caller's write transaction (so it commits with the change)."""
        timestamp = iso_ms()
        try:
            metadata_json = canonical_json(event.metadata)
        except (TypeError, ValueError):
            raise ValidationError("event metadata must be JSON-serialisable") from None
        artifacts_json = canonical_json(event.artifacts)
        seq, event_id, prev_hash, digest = append_chained(
            tx, self._key, type_=event.type, actor=event.actor, task_id=event.task_id, summary=event.summary,
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

    def head(self) -> AuditAnchor:
        """The audit head as an anchor to keep outside the workspace (``orchestra audit head``)."""
        with self._store.read() as tx:
            head = tx.fetchone("SELECT seq, hash FROM audit_head WHERE id = 1")
        if head is None:
            return AuditAnchor(seq=0, mac=GENESIS_HASH)
        return AuditAnchor(seq=int(head["seq"]), mac=str(head["hash"]))

    def verify(self, anchor: AuditAnchor | None = None) -> ChainReport:
        """Check the database (``quick_check``), the triggers, every link, the seal, the head and ``anchor``."""
        walk = _Walk(self._key, anchor)
        walk.integrity(self._store)
        if not walk.problems:
            with self._store.read() as tx:
                walk.run(tx)
        return walk.report()


@dataclass
class _Walk:
    key: ChainKey
    anchor: AuditAnchor | None
    checked: int = 0
    head_seq: int = 0
    keyed_from: int = 1
    broken_at: int | None = None

    def __post_init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def fail(self, problem: str, seq: int | None = None) -> None:
        if seq is not None and self.broken_at is None:
            self.broken_at = seq
        self.problems.append(problem)

    def integrity(self, store: Store) -> None:
        problems = store.check_integrity()
        if problems:
            self.fail(f"the database fails its integrity check (quick_check): {'; '.join(problems)}")

    def run(self, tx: Transaction) -> None:
        present = {str(r["name"]) for r in tx.fetchall(_TRIGGERS_SQL[tx.dialect])}
        missing = [name for name in REQUIRED_TRIGGERS if name not in present]
        head = tx.fetchone("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
        seal = tx.fetchone("SELECT keyed_from_seq, mac FROM audit_chain WHERE id = 1")
        self.head_seq = int(head["seq"]) if head else 0
        self.keyed_from = int(seal["keyed_from_seq"]) if seal else 1
        expected_seq, prev_hash, legacy_hash = 1, GENESIS_HASH, GENESIS_HASH
        anchored = self.anchor is None or self.anchor.seq == 0
        for row in tx.iterate("SELECT * FROM events ORDER BY seq"):
            problem = _check_row(self.key, row, expected_seq, prev_hash, keyed=expected_seq >= self.keyed_from)
            if problem:
                self.fail(problem, int(row["seq"]))
                break
            prev_hash, self.checked = str(row["hash"]), self.checked + 1
            if expected_seq == self.keyed_from - 1:
                legacy_hash = prev_hash
            if self.anchor is not None and expected_seq == self.anchor.seq:
                anchored = same(prev_hash, self.anchor.mac)
            expected_seq += 1
        if self.problems:
            self._structure(missing, head, seal, legacy_hash=None)
            return
        self._structure(missing, head, seal, legacy_hash=legacy_hash)
        self._head(head, prev_hash)
        if self.anchor is not None and self.anchor.seq > 0 and not anchored:
            self.fail(f"the chain does not extend the anchor (event {self.anchor.seq} with the anchored link): "
                      + ("events were cut from the end" if self.anchor.seq > self.checked
                         else "the chain was rewritten up to or before the anchor"),
                      min(self.anchor.seq, self.checked + 1))
        if self.keyed_from > 1:
            self.warnings.append(f"events 1-{self.keyed_from - 1} have legacy sha256 links, vouched for by the seal")

    def _structure(self, missing: list[str], head: Row | None, seal: Row | None, *, legacy_hash: str | None) -> None:
        for name in missing:
            self.fail(f"append-only trigger '{name}' is missing")
        if seal is None:
            self.fail("the audit chain seal is missing")
        elif not seal["mac"]:
            self.fail("the audit chain was never sealed with the workspace key")
        elif legacy_hash is not None:
            if self.keyed_from - 1 > self.checked:
                self.fail("legacy events before the keyed chain are missing", self.checked + 1)
            elif not same(str(seal["mac"]), self.key.seal(self.keyed_from, legacy_hash)):
                self.fail("the seal does not match the legacy events or was forged (wrong key)")
        if head is None:
            self.fail("the audit head is missing")

    def _head(self, head: Row | None, last_hash: str) -> None:
        if head is None:
            return
        if self.head_seq != self.checked or not same(str(head["hash"]), last_hash):
            self.fail(f"the chain ends at event {self.checked} but the audit head records event {self.head_seq}: "
                      "events were deleted from the end or the head was altered",
                      self.checked + 1 if self.head_seq > self.checked else self.head_seq)
        elif not same(str(head["mac"]), self.key.head(self.head_seq, last_hash)):
            self.fail("the audit head's MAC does not verify: the head was moved or forged", self.head_seq or None)

    def report(self) -> ChainReport:
        return ChainReport(
            ok=not self.problems, events_checked=self.checked, head_seq=self.head_seq, broken_at_seq=self.broken_at,
            problem=self.problems[0] if self.problems else None, problems=self.problems,
            keyed_from_seq=self.keyed_from, anchor_seq=self.anchor.seq if self.anchor else None,
            warnings=self.warnings,
        )


def _check_row(key: ChainKey, row: Row, expected_seq: int, prev_hash: str, *, keyed: bool) -> str | None:
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
    link = key.link(fields, prev_hash) if keyed else event_hash(fields, prev_hash)
    if not same(link, str(row["hash"])):
        return "its content does not match its link (the event was edited or forged without the key)"
    return None


def _to_event(row: Row) -> AuditEvent:
    data: dict[str, Any] = dict(row)
    data["metadata"] = json.loads(data["metadata"])
    data["artifacts"] = json.loads(data["artifacts"])
    return AuditEvent.model_validate(data)
