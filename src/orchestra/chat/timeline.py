"""The workflow timeline: audit events of a scope's task and run, shown as chat entries (reference §4.7).

Only event types starting ``RUNTIME_``, ``REVIEW_`` or ``TASK_`` are projected; an event whose
metadata names another run is skipped. Entries have no sequence; their position is the audit
sequence number, so pages stay stable while events are appended.
"""

from __future__ import annotations

from orchestra.chat.model import ChatContent, ChatMessage, TimelineEvent
from orchestra.chat.policy import REDACTION_POLICY, active_delete_record, export_record
from orchestra.chat.records import ChatActor, ChatProvenance, ChatReference, ChatScope, RetentionPolicy
from orchestra.events import AuditEvent, EventLog
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Sink

TIMELINE_PREFIXES = ("RUNTIME_", "REVIEW_", "TASK_")
SCAN_BATCH = 500


def _run_of(event: AuditEvent) -> str | None:
    run = event.metadata.get("runId") or event.metadata.get("run_id")
    return str(run) if isinstance(run, str) and run else None


def matches(event: AuditEvent, scope: ChatScope) -> bool:
    """True when the event belongs on the scope's timeline."""
    if not event.type.startswith(TIMELINE_PREFIXES) or event.task_id != scope.task_id:
        return False
    run = _run_of(event)
    return run is None or run == scope.run_id


def timeline_after(events: EventLog, scope: ChatScope, after_seq: int, limit: int) -> list[AuditEvent]:
    """Up to ``limit`` matching events with ``seq > after_seq``, in chain order."""
    found: list[AuditEvent] = []
    cursor = after_seq
    while len(found) < limit:
        batch = events.list(task_id=scope.task_id, after_seq=cursor, limit=SCAN_BATCH)
        if not batch:
            break
        found.extend(e for e in batch if matches(e, scope))
        cursor = batch[-1].seq
    return found[:limit]


def to_entry(event: AuditEvent, scope: ChatScope, thread_id: str, guard: SecurityGuard) -> ChatMessage:
    """One audit event as a timeline entry (its summary passes the transcript guard)."""
    decision = guard.guard(event.summary, Sink.TRANSCRIPT)
    text = decision.text if decision.text is not None else "[withheld by policy]"
    meta = event.metadata
    role, review_id = meta.get("role"), meta.get("reviewId")
    if event.type == "REVIEW_RECORDED" and isinstance(role, str) and isinstance(review_id, str):
        actor = ChatActor(kind="reviewer", actor_id=event.actor[:128], role=role[:256], review_id=review_id[:128])
    else:
        actor = ChatActor(kind="workflow_event", actor_id=f"workflow:{event.id}", source_event_id=event.id,
                          event_type=event.type)
    references = [ChatReference(kind="task", id=scope.task_id), ChatReference(kind="workflow_run", id=scope.run_id)]
    return ChatMessage(
        id=f"timeline-{event.id}", thread_id=thread_id, scope=scope, actor=actor,
        provenance=ChatProvenance(source_kind="workflow_event", source_id=event.id, created_at=event.timestamp,
                                  observed_at=event.timestamp, usage_source="unavailable",
                                  cost_source="unavailable", policy_decision_id=decision.decision_id),
        created_at=event.timestamp, sequence=None, content=ChatContent(format="workflow_event", text=text),
        content_state="redacted",
        retention=RetentionPolicy(policy_id=REDACTION_POLICY, status="redacted_only", raw_persistence="forbidden",
                                  decided_at=event.timestamp),
        export=export_record(event.timestamp), delete=active_delete_record(), references=references,
        timeline_event=TimelineEvent(event_id=event.id, event_type=event.type, audit_seq=event.seq,
                                     task_id=event.task_id, run_id=_run_of(event)),
    )
