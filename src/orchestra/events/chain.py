"""Canonical JSON, the legacy chain hash (plain SHA-256) and the keyed chain MACs."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

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
