"""Canonical JSON and the chain hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
