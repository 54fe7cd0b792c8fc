"""Canonical JSON, the chain hash and the one function that appends a row to the chain.

Standard library only: the hook entry point appends events with a plain ``sqlite3``
connection through :func:`append_chained`, the same code :class:`EventLog` uses.
"""

from __future__ import annotations

import hashlib
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Protocol

    class ChainCursor(Protocol):
        """The two calls :func:`append_chained` needs (a store transaction or a thin sqlite3 wrapper)."""

        def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

        def fetchone(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 hex over the canonical event fields and the previous hash."""
    payload = canonical_json({**fields, "prevHash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hashed_fields(
    *,
    seq: int,
    event_id: str,
    type_: str,
    actor: str,
    task_id: str | None,
    summary: str,
    metadata_json: str,
    artifacts_json: str,
    timestamp: str,
) -> dict[str, Any]:
    """The fields covered by the hash, exactly as stored (JSON columns as their text)."""
    return {
        "seq": seq,
        "id": event_id,
        "type": type_,
        "actor": actor,
        "taskId": task_id,
        "summary": summary,
        "metadata": metadata_json,
        "artifacts": artifacts_json,
        "timestamp": timestamp,
    }


def append_chained(tx: ChainCursor, *, type_: str, actor: str, task_id: str | None, summary: str,
                   metadata_json: str, artifacts_json: str, timestamp: str) -> tuple[int, str, str, str]:
    """Append one event after the audit head inside the caller's write transaction.

    Returns ``(seq, event id, prev_hash, hash)``. Every writer of the chain goes through here."""
    head = tx.fetchone("SELECT seq, hash FROM audit_head WHERE id = 1")
    prev_seq, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
    seq = prev_seq + 1
    event_id = f"{timestamp}-{os.urandom(8).hex()}"  # = secrets.token_hex(8), without its imports
    fields = hashed_fields(seq=seq, event_id=event_id, type_=type_, actor=actor, task_id=task_id, summary=summary,
                           metadata_json=metadata_json, artifacts_json=artifacts_json, timestamp=timestamp)
    digest = event_hash(fields, prev_hash)
    tx.execute(
        "INSERT INTO events (seq, id, type, actor, task_id, summary, metadata, artifacts, timestamp,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, event_id, type_, actor, task_id, summary, metadata_json, artifacts_json, timestamp, prev_hash,
         digest),
    )
    if head:
        tx.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, digest))
    else:
        tx.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)", (seq, digest))
    return seq, event_id, prev_hash, digest
