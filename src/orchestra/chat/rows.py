"""Mapping chat records to table rows and back (the JSON ``record`` column holds the nested parts)."""

from __future__ import annotations

import json
from typing import Any

from orchestra.chat.model import ChatContent, ChatMessage, ChatThread
from orchestra.chat.policy import active_delete_record, export_record, not_exportable_record, tombstone_record
from orchestra.chat.records import (
    ChatActor,
    ChatProvenance,
    ChatReference,
    ChatScope,
    DeletePolicy,
    RedactionRecord,
    RestrictedSummary,
    RetentionPolicy,
)
from orchestra.store.base import Row

SCOPE_COLUMNS = ("tenant_id", "workspace_id", "task_id", "run_id", "phase", "session_id")
SCOPE_WHERE = " AND ".join(f"{c} = ?" for c in SCOPE_COLUMNS)


def thread_uri(thread_id: str) -> str:
    """The MCP resource of a thread."""
    return f"orchestra://chat/threads/{thread_id}"


def messages_uri(thread_id: str) -> str:
    """The MCP resource of a thread's messages."""
    return f"orchestra://chat/threads/{thread_id}/messages"


def scope_params(scope: ChatScope) -> tuple[str, ...]:
    """The six scope values in column order."""
    return tuple(getattr(scope, c) for c in SCOPE_COLUMNS)


def scope_of(row: Row) -> ChatScope:
    """The scope stored on a thread row."""
    return ChatScope(**{c: row[c] for c in SCOPE_COLUMNS})


def dump(value: dict[str, Any]) -> str:
    """Compact JSON for the record column."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def thread_record(actor: ChatActor, provenance: ChatProvenance, retention: RetentionPolicy,
                  restricted: RestrictedSummary | None) -> str:
    """The JSON column of a thread."""
    return dump({
        "actor": actor.model_dump(mode="json", exclude_none=True),
        "provenance": provenance.model_dump(mode="json", exclude_none=True),
        "retention": retention.model_dump(mode="json", exclude_none=True),
        "restricted": restricted.model_dump(mode="json") if restricted else None,
    })


def to_thread(row: Row) -> ChatThread:
    """A thread row as a record."""
    data = json.loads(row["record"])
    tombstoned = row["delete_status"] == "tombstoned"
    created = str(row["created_at"])
    restricted = data.get("restricted")
    return ChatThread(
        id=row["id"], scope=scope_of(row), title=row["title"], created_at=created,
        updated_at=row["updated_at"], actor=ChatActor.model_validate(data["actor"]),
        provenance=ChatProvenance.model_validate(data["provenance"]),
        retention=RetentionPolicy.model_validate(data["retention"]),
        export=not_exportable_record(row["tombstoned_at"]) if tombstoned else export_record(created),
        delete=_delete(row), content_state=row["content_state"], message_count=int(row["last_sequence"]),
        restricted=RestrictedSummary.model_validate(restricted) if restricted else None,
        resource_uri=thread_uri(row["id"]),
    )


def message_record(*, actor: ChatActor, provenance: ChatProvenance, content_format: str,
                   retention: RetentionPolicy, redaction: RedactionRecord | None,
                   references: list[ChatReference], restricted: RestrictedSummary | None) -> str:
    """The JSON column of a message."""
    return dump({
        "actor": actor.model_dump(mode="json", exclude_none=True),
        "provenance": provenance.model_dump(mode="json", exclude_none=True),
        "format": content_format,
        "retention": retention.model_dump(mode="json", exclude_none=True),
        "redaction": redaction.model_dump(mode="json") if redaction else None,
        "references": [r.model_dump(mode="json", exclude_none=True) for r in references],
        "restricted": restricted.model_dump(mode="json") if restricted else None,
    })


def to_message(row: Row, scope: ChatScope) -> ChatMessage:
    """A message row as a record (``scope`` is its thread's)."""
    data = json.loads(row["record"])
    tombstoned = row["delete_status"] == "tombstoned"
    created = str(row["created_at"])
    redaction, restricted = data.get("redaction"), data.get("restricted")
    return ChatMessage(
        id=row["id"], thread_id=row["thread_id"], scope=scope, actor=ChatActor.model_validate(data["actor"]),
        provenance=ChatProvenance.model_validate(data["provenance"]), created_at=created,
        sequence=int(row["sequence"]), content=ChatContent(format=data["format"], text=row["text"]),
        content_state=row["content_state"], retention=RetentionPolicy.model_validate(data["retention"]),
        redaction=RedactionRecord.model_validate(redaction) if redaction else None,
        export=not_exportable_record(row["tombstoned_at"]) if tombstoned else export_record(created),
        delete=_delete(row), references=[ChatReference.model_validate(r) for r in data["references"]],
        restricted=RestrictedSummary.model_validate(restricted) if restricted else None,
    )


def _delete(row: Row) -> DeletePolicy:
    if row["delete_status"] != "tombstoned":
        return active_delete_record()
    return tombstone_record(row["tombstoned_at"], row["tombstoned_by"], row["delete_reason"])
