"""Canonical JSON, the legacy chain hash (plain SHA-256), the keyed chain MACs, and the one function that
appends a row to the chain.

Standard library only: the hook entry point appends events with a plain ``sqlite3`` connection through
:func:`append_chained`, the same code :class:`EventLog` uses.
"""

from __future__ import annotations

import hashlib
import hmac
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
    """Legacy link (schema before the keyed chain): sha256 hex over the canonical fields and the previous hash."""
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


_CHAIN_CONTEXT = b"orchestra/audit-chain/v1"


class ChainKey:
    """HMAC-SHA256 for the audit chain, with a key derived from the workspace key (kept outside the database).

    Three domains keep the MACs apart: ``link`` (one event over its fields and the previous link),
    ``head`` (the audit head: which event is the last), ``seal`` (where keyed links begin and the
    hash of the last legacy, unkeyed link before them).
    """

    def __init__(self, workspace_key: bytes) -> None:
        self._key = hmac.new(workspace_key, _CHAIN_CONTEXT, hashlib.sha256).digest()

    def _mac(self, domain: str, value: dict[str, Any]) -> str:
        message = domain.encode("ascii") + b"\0" + canonical_json(value).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def link(self, fields: dict[str, Any], prev_hash: str) -> str:
        """The keyed link of one event."""
        return self._mac("link", {**fields, "prevHash": prev_hash})

    def head(self, seq: int, link: str) -> str:
        """The MAC of the audit head pointing at event ``seq`` with link ``link``."""
        return self._mac("head", {"seq": seq, "hash": link})

    def seal(self, keyed_from_seq: int, legacy_hash: str) -> str:
        """The MAC of the boundary between legacy (plain SHA-256) and keyed links."""
        return self._mac("seal", {"keyedFrom": keyed_from_seq, "legacyHash": legacy_hash})


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def seal_chain(tx: ChainCursor, key: ChainKey) -> None:
    """Seal the legacy/keyed boundary the migration left (once; nothing when sealed or the seal is gone)."""
    row = tx.fetchone("SELECT keyed_from_seq, mac FROM audit_chain WHERE id = 1")
    if row is None or row[1]:
        return
    head = tx.fetchone("SELECT seq, hash FROM audit_head WHERE id = 1")
    legacy_hash = str(head[1]) if head else GENESIS_HASH
    tx.execute("UPDATE audit_chain SET mac = ? WHERE id = 1", (key.seal(int(row[0]), legacy_hash),))
    if head:
        tx.execute("UPDATE audit_head SET mac = ? WHERE id = 1", (key.head(int(head[0]), str(head[1])),))
    else:
        tx.execute("INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, 0, ?, ?)",
                   (GENESIS_HASH, key.head(0, GENESIS_HASH)))


def append_chained(tx: ChainCursor, key: ChainKey, *, type_: str, actor: str, task_id: str | None, summary: str,
                   metadata_json: str, artifacts_json: str, timestamp: str) -> tuple[int, str, str, str]:
    """Append one keyed event after the audit head inside the caller's write transaction.

    Returns ``(seq, event id, prev_hash, link)``. Every writer of the chain goes through here."""
    seal_chain(tx, key)
    head = tx.fetchone("SELECT seq, hash FROM audit_head WHERE id = 1")
    prev_seq, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
    seq = prev_seq + 1
    event_id = f"{timestamp}-{os.urandom(8).hex()}"  # = secrets.token_hex(8), without its imports
    fields = hashed_fields(seq=seq, event_id=event_id, type_=type_, actor=actor, task_id=task_id, summary=summary,
                           metadata_json=metadata_json, artifacts_json=artifacts_json, timestamp=timestamp)
    digest = key.link(fields, prev_hash)
    tx.execute(
        "INSERT INTO events (seq, id, type, actor, task_id, summary, metadata, artifacts, timestamp,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, event_id, type_, actor, task_id, summary, metadata_json, artifacts_json, timestamp, prev_hash,
         digest),
    )
    head_mac = key.head(seq, digest)
    if head:
        tx.execute("UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1", (seq, digest, head_mac))
    else:
        tx.execute("INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?, ?, ?)", (seq, digest, head_mac))
    return seq, event_id, prev_hash, digest
