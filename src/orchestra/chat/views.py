"""Compact views of threads and messages for tool results: what changes from record to record.

A stored record carries its scope, its retention, export and delete policy blocks and the task/run
references on every message; a result lists a thread's scope once, and a message carries a policy
or a reference only where it differs from the default (a tombstone, a link the caller added).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from orchestra.chat.model import AppendResult, ChatMessage, ChatThread, MessagePage, ThreadPage
from orchestra.chat.records import (
    ChatActor,
    ChatProvenance,
    ChatReference,
    ChatScope,
    ContentState,
    RestrictedSummary,
)
from orchestra.chat.rows import messages_uri

DEFAULT_REFERENCE_KINDS = ("task", "workflow_run")


class MessageView(BaseModel):
    """One message as a result shows it."""

    id: str
    sequence: int | None = Field(None, description="1..n in the thread; absent on timeline entries.")
    created_at: str
    actor: ChatActor
    format: str
    text: str
    content_state: ContentState
    provenance: ChatProvenance | None = Field(None, description="Set on model replies and stated figures.")
    redactions: int = Field(0, description="Values the guard replaced by markers.")
    restricted: RestrictedSummary | None = None
    references: list[ChatReference] = Field(default_factory=list, description="Links beyond the task and run.")
    tombstoned_at: str | None = None
    event_type: str | None = Field(None, description="Timeline entries: the audit event type.")


class ThreadView(BaseModel):
    """One thread as a result shows it."""

    id: str
    title: str
    scope: ChatScope
    actor: ChatActor
    created_at: str
    updated_at: str
    message_count: int
    content_state: ContentState
    restricted: RestrictedSummary | None = None
    resource_uri: str
    messages_uri: str


class AppendView(BaseModel):
    """An appended (or replayed) message."""

    thread_id: str
    message: MessageView
    idempotent_replay: bool = Field(description="True: the same key and body were appended before.")
    policy_decision_id: str | None = None
    messages_uri: str


class MessagePageView(BaseModel):
    """A page of a thread's messages; next_cursor absent on the last page."""

    thread_id: str
    messages: list[MessageView]
    count: int
    next_cursor: str | None = None


class ThreadPageView(BaseModel):
    """A page of threads; next_cursor absent on the last page."""

    threads: list[ThreadView]
    count: int
    next_cursor: str | None = None


def message_view(message: ChatMessage) -> MessageView:
    """The compact form of a stored message."""
    prov = message.provenance
    stated = any(v is not None for v in (prov.provider, prov.model, prov.input_tokens, prov.output_tokens,
                                          prov.estimated_cost_usd, prov.parent_message_id))
    refs = [r for r in message.references if not (r.kind in DEFAULT_REFERENCE_KINDS and r.label is None
                                                  and r.id in (message.scope.task_id, message.scope.run_id))]
    return MessageView(
        id=message.id, sequence=message.sequence, created_at=message.created_at, actor=message.actor,
        format=message.content.format, text=message.content.text, content_state=message.content_state,
        provenance=prov if stated else None,
        redactions=message.redaction.marker_count if message.redaction is not None else 0,
        restricted=message.restricted, references=refs, tombstoned_at=message.delete.tombstoned_at,
        event_type=message.timeline_event.event_type if message.timeline_event is not None else None,
    )


def thread_view(thread: ChatThread) -> ThreadView:
    """The compact form of a stored thread."""
    return ThreadView(id=thread.id, title=thread.title, scope=thread.scope, actor=thread.actor,
                      created_at=thread.created_at, updated_at=thread.updated_at,
                      message_count=thread.message_count, content_state=thread.content_state,
                      restricted=thread.restricted, resource_uri=thread.resource_uri,
                      messages_uri=messages_uri(thread.id))


def append_view(result: AppendResult) -> AppendView:
    """The compact form of an append."""
    return AppendView(thread_id=result.message.thread_id, message=message_view(result.message),
                      idempotent_replay=result.idempotent_replay, policy_decision_id=result.policy_decision_id,
                      messages_uri=result.messages_uri)


def message_page_view(page: MessagePage) -> MessagePageView:
    """The compact form of a message page."""
    return MessagePageView(thread_id=page.thread_id, messages=[message_view(m) for m in page.messages],
                           count=page.count, next_cursor=page.next_cursor)


def thread_page_view(page: ThreadPage) -> ThreadPageView:
    """The compact form of a thread page."""
    return ThreadPageView(threads=[thread_view(t) for t in page.threads], count=page.count,
                          next_cursor=page.next_cursor)
