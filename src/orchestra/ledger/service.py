"""The provenance ledger: record model calls (guarded, audited) and report usage with SQL aggregation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orchestra.clock import iso_ms
from orchestra.errors import ConflictError
from orchestra.events import EventLog, NewEvent
from orchestra.events.chain import canonical_json
from orchestra.ledger.model import ProvenanceInput, ProvenanceRecord, UsageBreakdown, UsageReport
from orchestra.ledger.money import from_nanos, to_nanos
from orchestra.security.guard import SecurityGuard
from orchestra.security.identifiers import shown_id
from orchestra.security.model import Sink
from orchestra.security.opaque_ids import opaque_id
from orchestra.store.base import Row, Store, Transaction
from orchestra.tasks.service import TaskNotFoundError
from orchestra.validation import parse_model

_TEXT_FIELDS = (
    "role", "provider", "model", "prompt_id", "response_id", "finish_reason", "request_id", "tenant_id",
    "workspace_id", "session_id", "run_id", "phase", "actor", "initiated_by", "usage_source", "cost_source",
    "usage_unavailable_rationale", "cost_unavailable_rationale", "final_provider", "final_model",
)
_COLUMNS = ("id", "recorded_at", "task_id", *_TEXT_FIELDS, "input_tokens", "output_tokens", "cost_nanousd",
            "fallback_used", "failed_providers", "cost_known", "idempotency_key", "body_digest")
_INSERT = f"INSERT INTO ledger ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"

GROUPS: dict[str, str] = {
    "by_role": "role",
    "by_provider": "provider",
    "by_tenant": "COALESCE(tenant_id, 'local')",
    "by_workspace": "COALESCE(workspace_id, 'local')",
    "by_actor": "COALESCE(actor, role)",
    "by_initiator": "COALESCE(initiated_by, 'unknown')",
    "by_phase": "COALESCE(phase, 'unknown')",
}
"""Report breakdowns and their SQL group keys (reference §8.2 defaults)."""

_SUMS = ("COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, "
         "COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_nanousd), 0) AS cost_nanousd")


class IdempotencyConflictError(ConflictError):
    """The idempotency key was already used with a different body."""

    code = "idempotency_conflict"


def parse_provenance(data: ProvenanceInput | dict[str, Any]) -> ProvenanceInput:
    """Validate raw input; bad numbers raise ``invalid_number``, other problems ``invalid_input``."""
    return parse_model(ProvenanceInput, data, "provenance record")


class LedgerService:
    """Append-only provenance records in the state store."""

    def __init__(self, store: Store, events: EventLog, guard: SecurityGuard) -> None:
        self._store = store
        self._events = events
        self._guard = guard

    def record(self, data: ProvenanceInput | dict[str, Any]) -> ProvenanceRecord:
        """Guard every text field (sink ``evidence``), then store the record and its audit event together."""
        spec = parse_provenance(data)
        values: dict[str, Any] = spec.model_dump(exclude={"idempotency_key"})
        digest = hashlib.sha256(canonical_json(spec.model_dump(mode="json", exclude={"idempotency_key"}))
                                .encode("utf-8")).hexdigest()
        key = (hashlib.sha256(("ledger-idempotency-v1\x1f" + spec.idempotency_key).encode("utf-8")).hexdigest()
               if spec.idempotency_key else None)
        values["prompt_id"] = values["prompt_id"] or opaque_id("prompt-", 8)
        values["response_id"] = values["response_id"] or opaque_id("resp-", 8)
        if values["usage_source"] is None and "input_tokens" not in spec.model_fields_set \
                and "output_tokens" not in spec.model_fields_set:
            values["usage_source"] = "unavailable"
        if values["estimated_cost_usd"] is None and values["cost_source"] is None:
            values["cost_source"] = "unavailable"
        for name in _TEXT_FIELDS:
            if values[name] is not None:
                values[name] = self._guard.guard_or_raise(str(values[name]), Sink.EVIDENCE)
        values["failed_providers"] = [self._guard.guard_or_raise(p, Sink.EVIDENCE) for p in spec.failed_providers]
        with self._store.write() as tx:
            if tx.fetchone("SELECT 1 FROM tasks WHERE id = ?", (spec.task_id,)) is None:
                raise TaskNotFoundError(f"unknown task: {shown_id(spec.task_id)}")
            if key is not None:
                existing = tx.fetchone("SELECT * FROM ledger WHERE idempotency_key = ?", (key,))
                if existing is not None:
                    if existing["body_digest"] != digest:
                        raise IdempotencyConflictError("idempotency key was already used with a different body")
                    return _record_of(existing, replay=True)
            return self.append(tx, values, idempotency_key=key, body_digest=digest)

    def append(self, tx: Transaction, values: dict[str, Any], *, idempotency_key: str | None = None,
               body_digest: str | None = None) -> ProvenanceRecord:
        """Insert already validated and guarded ``values`` inside the caller's transaction (task checked).

        A null ``estimated_cost_usd`` is an unknown cost: stored as 0 with ``cost_known`` 0, returned as null.
        """
        known = values["estimated_cost_usd"] is not None
        values = {**values, "id": opaque_id("prov-", 8), "recorded_at": iso_ms(), "cost_known": int(known),
                  "idempotency_key": idempotency_key, "body_digest": body_digest,
                  "estimated_cost_usd": values["estimated_cost_usd"] if known else Decimal(0)}
        nanos = to_nanos(values["estimated_cost_usd"])
        row = tuple(
            nanos if c == "cost_nanousd" else json.dumps(values[c]) if c == "failed_providers"
            else int(values[c]) if c == "fallback_used" else values[c]
            for c in _COLUMNS
        )
        tx.execute(_INSERT, row)
        seq_row = tx.fetchone("SELECT seq FROM ledger WHERE id = ?", (values["id"],))
        values["seq"] = int(seq_row["seq"]) if seq_row else 0
        values["estimated_cost_usd"] = from_nanos(nanos) if known else None
        self._events.append(tx, NewEvent(
            type="MODEL_PROVENANCE_RECORDED", actor=values["role"], task_id=values["task_id"],
            summary=f"Model provenance recorded for {values['provider']}/{values['model']}",
            metadata={
                "ledgerId": values["id"], "provider": values["provider"], "model": values["model"],
                "role": values["role"], "promptId": values["prompt_id"], "responseId": values["response_id"],
                "inputTokens": values["input_tokens"], "outputTokens": values["output_tokens"],
                "estimatedCostUsd": str(values["estimated_cost_usd"]) if known else None,
                "usageSource": values["usage_source"],
                "costSource": values["cost_source"], "finishReason": values["finish_reason"],
            },
        ))
        fields = set(ProvenanceRecord.model_fields)
        return ProvenanceRecord.model_validate({k: v for k, v in values.items() if k in fields})

    def report(self, task_id: str | None = None) -> UsageReport:
        """Totals and breakdowns for one task or everything (SQL aggregation; nothing loaded per record)."""
        with self._store.read() as tx:
            return self.report_in(tx, task_id)

    def report_in(self, tx: Transaction, task_id: str | None) -> UsageReport:
        """:meth:`report` inside an open transaction."""
        where, params = _scope(tx, task_id)
        total_row = tx.fetchone(f"SELECT {_SUMS} FROM ledger {where}", params)
        groups = {
            name: [_breakdown(r, str(r["key"])) for r in tx.fetchall(
                f"SELECT {expr} AS key, {_SUMS}, MIN(seq) AS first_seq FROM ledger {where} "
                f"GROUP BY {expr} ORDER BY first_seq", params)]
            for name, expr in GROUPS.items()
        }
        empty = {"requests": 0, "input_tokens": 0, "output_tokens": 0, "cost_nanousd": 0}
        totals = _breakdown(total_row if total_row is not None else empty, "total")
        return UsageReport(task_id=task_id, totals=totals, **groups)

    def count(self) -> int:
        """How many records the ledger holds."""
        with self._store.read() as tx:
            row = tx.fetchone("SELECT COUNT(*) AS n FROM ledger")
            return int(row["n"]) if row else 0


def _scope(tx: Transaction, task_id: str | None) -> tuple[str, Sequence[Any]]:
    if task_id is None:
        return "", ()
    if tx.fetchone("SELECT 1 FROM tasks WHERE id = ?", (task_id,)) is None:
        raise TaskNotFoundError(f"unknown task: {shown_id(task_id)}")
    return "WHERE task_id = ?", (task_id,)


def _breakdown(row: Row | dict[str, Any], key: str) -> UsageBreakdown:
    inp, out = int(row["input_tokens"] or 0), int(row["output_tokens"] or 0)
    return UsageBreakdown(
        key=key, requests=int(row["requests"] or 0), input_tokens=inp, output_tokens=out,
        total_tokens=inp + out, estimated_cost_usd=from_nanos(int(row["cost_nanousd"] or 0)),
    )


def _record_of(row: Row, *, replay: bool) -> ProvenanceRecord:
    """A stored ledger row as a record."""
    names = set(ProvenanceRecord.model_fields) - {"idempotent_replay", "estimated_cost_usd", "failed_providers",
                                                   "fallback_used"}
    return ProvenanceRecord.model_validate({
        **{name: row[name] for name in names},
        "estimated_cost_usd": from_nanos(int(row["cost_nanousd"])) if int(row["cost_known"]) else None,
        "failed_providers": json.loads(str(row["failed_providers"])), "fallback_used": bool(row["fallback_used"]),
        "idempotent_replay": replay,
    })
