"""Chat threads and messages as stored and returned, and the pages and results of the service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from orchestra.chat.records import (
    CHAT_SCHEMA_VERSION,
    ChatActor,
    ChatProvenance,
    ChatReference,
    ChatScope,
    ContentFormat,
    ContentState,
    DeletePolicy,
    ExportPolicy,
    RedactionRecord,
    RestrictedSummary,
    RetentionPolicy,
)


class ChatContent(BaseModel):
    """A message body as stored (redacted unless the retention policy allowed raw and nothing was found)."""

    format: ContentFormat
    text: str


class TimelineEvent(BaseModel):
    """The audit event a timeline entry was projected from."""

    event_id: str
    event_type: str
    audit_seq: int
    task_id: str | None
    run_id: str | None


class ChatThread(BaseModel):
    """A conversation in one scope."""

    schema_version: int = CHAT_SCHEMA_VERSION
    id: str
    scope: ChatScope
    title: str = Field(description="Title as stored (passed the guard; restricted values are markers).")
    created_at: str
    updated_at: str
    actor: ChatActor
    provenance: ChatProvenance
    retention: RetentionPolicy
    export: ExportPolicy
    delete: DeletePolicy
    content_state: ContentState
    message_count: int = Field(description="Messages appended so far (the last sequence number).")
    restricted: RestrictedSummary | None = Field(None, description="Restricted data found in the title or "
                                                                   "actor fields (sanitized).")
    resource_uri: str = Field(description="MCP resource with this thread.")


class ChatMessage(BaseModel):
    """One message; ``sequence`` is 1..n per thread, contiguous. Timeline entries have no sequence."""

    schema_version: int = CHAT_SCHEMA_VERSION
    id: str
    thread_id: str
    scope: ChatScope
    actor: ChatActor
    provenance: ChatProvenance
    created_at: str
    sequence: int | None = Field(description="Position in the thread (1..n); null for timeline entries.")
    content: ChatContent
    content_state: ContentState
    retention: RetentionPolicy
    redaction: RedactionRecord | None = None
    export: ExportPolicy
    delete: DeletePolicy
    references: list[ChatReference] = Field(default_factory=list)
    restricted: RestrictedSummary | None = Field(None, description="Sanitized summary of restricted data that "
                                                                   "was redacted before storage.")
    timeline_event: TimelineEvent | None = Field(None, description="Set on workflow timeline entries.")


class AppendResult(BaseModel):
    """The outcome of an append: the message and whether it was a replay of an earlier call."""

    message: ChatMessage
    idempotent_replay: bool = Field(description="True when the same key and body were appended before; "
                                                "nothing new was written.")
    policy_decision_id: str | None = Field(description="The guard decision taken on this call.")
    thread_uri: str
    messages_uri: str


class ThreadPage(BaseModel):
    """A page of threads in one scope, oldest first."""

    threads: list[ChatThread]
    count: int
    next_cursor: str | None = Field(description="Opaque; pass back to get the next page. Null on the last page.")


class MessagePage(BaseModel):
    """A page of a thread's messages in sequence order (timeline entries merged by time when asked)."""

    thread_id: str
    messages: list[ChatMessage]
    count: int
    next_cursor: str | None = Field(description="Opaque; pass back to get the next page. Null on the last page.")


ExportKind = Literal["thread", "task", "run"]


class ChatSelection(BaseModel):
    """What a compliance export or delete covers."""

    kind: ExportKind
    tenant_id: str
    workspace_id: str
    thread_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None


class ExportResult(BaseModel):
    """Where a compliance export was written and what it holds (counts only)."""

    selection: ChatSelection
    exported_at: str
    thread_count: int
    message_count: int
    tombstoned_included: int = Field(description="Tombstoned messages written as '[deleted]'.")
    tombstoned_excluded: int
    restricted_message_count: int = Field(description="Messages (and titles) that carried restricted data.")
    restricted: RestrictedSummary = Field(description="Totals over the export (sanitized).")
    json_path: str = Field(description="Workspace-relative path of the JSON file.")
    markdown_path: str = Field(description="Workspace-relative path of the Markdown file.")
    json_sha256: str
    markdown_sha256: str
    json_uri: str
    markdown_uri: str
    audit_event_id: str


class DeleteResult(BaseModel):
    """What a compliance delete tombstoned (a repeat tombstones nothing new)."""

    selection: ChatSelection
    deleted_at: str
    deleted_threads: list[str]
    deleted_messages: int
    fragments_shredded: int = Field(0, description="Restricted fragments of the selection crypto-shredded.")
    already_deleted: bool = Field(description="True when everything selected was tombstoned before.")
    audit_event_id: str
