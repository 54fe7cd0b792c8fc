"""Chat threads and messages: guarded, idempotent appends with transactional sequence numbers; keyset pages.

Every write is one ``store.write()`` transaction (``BEGIN IMMEDIATE`` on SQLite), so the thread
check, the idempotency lookup, the sequence number and the insert are serialised across
processes: sequences are contiguous and unique per thread, with no limit on thread length.
The guard runs before the transaction; only its output is written.
"""

from __future__ import annotations

from typing import Any

from orchestra.approvals.gate import CallerApprovals
from orchestra.chat.compliance import ChatCompliance, Progress
from orchestra.chat.cursor import CursorCodec
from orchestra.chat.errors import (
    IdempotencyConflictError,
    ScopeMismatchError,
    ThreadDeletedError,
    ThreadNotFoundError,
)
from orchestra.chat.guarding import guard_fields
from orchestra.chat.inputs import (
    DEFAULT_LIMIT,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    body_digest,
    check_idempotency_key,
    check_limit,
    check_text,
    check_title,
    keyed_digest,
    parse_actor,
    parse_provenance,
    parse_references,
    parse_scope,
)
from orchestra.chat.model import (
    AppendResult,
    ChatMessage,
    ChatThread,
    DeleteResult,
    ExportKind,
    ExportResult,
    MessagePage,
    ThreadPage,
)
from orchestra.chat.policy import GUARD_ACTOR, REDACTION_POLICY, ChatPolicy
from orchestra.chat.records import (
    DEFAULT_SOURCE_KIND,
    LOCAL_TENANT,
    LOCAL_WORKSPACE,
    ChatActor,
    ChatProvenance,
    ChatReference,
    ChatScope,
    ContentFormat,
    ProvenanceInput,
    RedactionRecord,
)
from orchestra.chat.rows import (
    SCOPE_WHERE,
    message_record,
    messages_uri,
    scope_of,
    scope_params,
    thread_record,
    thread_uri,
    to_message,
    to_thread,
)
from orchestra.chat.timeline import timeline_after, to_entry
from orchestra.clock import iso_ms
from orchestra.events import EventLog
from orchestra.fragments.service import FragmentService, FragmentSource, Prepared
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Sink
from orchestra.security.opaque_ids import opaque_id
from orchestra.security.retained import RetainedRegion
from orchestra.store.base import Row, Store, Transaction
from orchestra.workspace.layout import WorkspaceLayout

ACTOR_TEXT_FIELDS = ("display_name", "runtime", "role", "provider", "model")
PROVENANCE_TEXT_FIELDS = ("runtime", "provider", "model", "request_id", "response_id")


class ChatService:
    """Threads and messages of one workspace store."""

    def __init__(self, store: Store, events: EventLog, guard: SecurityGuard, policy: ChatPolicy,
                 workspace_key: bytes, layout: WorkspaceLayout, fragments: FragmentService | None = None) -> None:
        self.compliance = ChatCompliance(store, events, guard, layout, fragments)
        self._fragments = fragments
        self._store = store
        self._events = events
        self._guard = guard
        self.policy = policy
        self._key = workspace_key
        self._cursors = CursorCodec(workspace_key)

    # -- compliance --------------------------------------------------------------------------------------

    def export(self, kind: ExportKind, *, actor_id: str, actor_role: str, thread_id: str | None = None,
               task_id: str | None = None, run_id: str | None = None, tenant_id: str = LOCAL_TENANT,
               workspace_id: str = LOCAL_WORKSPACE, include_tombstoned: bool = False,
               progress: Progress | None = None) -> ExportResult:
        """Export a thread, a task or a run as redacted JSON and Markdown (see :class:`ChatCompliance`)."""
        selection = self.compliance.selection(kind, thread_id=thread_id, task_id=task_id, run_id=run_id,
                                              tenant_id=tenant_id, workspace_id=workspace_id)
        return self.compliance.export(selection, actor_id=actor_id, actor_role=actor_role,
                                      include_tombstoned=include_tombstoned, progress=progress)

    def delete(self, kind: ExportKind, *, actor_id: str, actor_role: str, reason_code: str,
               thread_id: str | None = None, task_id: str | None = None, run_id: str | None = None,
               tenant_id: str = LOCAL_TENANT, workspace_id: str = LOCAL_WORKSPACE,
               approval: CallerApprovals | None = None) -> DeleteResult:
        """Tombstone a thread, a task or a run (see :class:`ChatCompliance`)."""
        selection = self.compliance.selection(kind, thread_id=thread_id, task_id=task_id, run_id=run_id,
                                              tenant_id=tenant_id, workspace_id=workspace_id)
        return self.compliance.delete(selection, actor_id=actor_id, actor_role=actor_role, reason_code=reason_code,
                                      approval=approval)

    # -- threads -----------------------------------------------------------------------------------------

    def create_thread(self, scope: ChatScope | dict[str, Any], title: str, actor: ChatActor | dict[str, Any],
                      *, request_id: str | None = None) -> ChatThread:
        """Create a thread; the title and the actor's free-text fields pass the transcript guard first."""
        scope = parse_scope(scope)
        actor = parse_actor(actor, scope)
        title = check_title(title, name="title", max_chars=MAX_TITLE_CHARS)
        retained = self._retaining()
        guarded = guard_fields(self._guard, {"title": title.strip(), **_actor_fields(actor)}, Sink.TRANSCRIPT,
                               refuse_restricted=self.policy.restricted_content == "refuse", actor=actor.actor_id,
                               retained=retained)
        actor = _with_actor_fields(actor, guarded.values)
        now = iso_ms()
        thread_id = opaque_id("thread-", 12)
        fragments = self._prepare(retained, FragmentSource(
            kind="chat_thread", source_id=thread_id, tenant_id=scope.tenant_id, workspace_id=scope.workspace_id,
            thread_id=thread_id, task_id=scope.task_id))
        provenance = ChatProvenance(
            source_kind=DEFAULT_SOURCE_KIND[actor.kind], source_id=request_id or opaque_id("chat-", 8),
            created_at=now, observed_at=now, usage_source="unavailable", cost_source="unavailable",
            policy_decision_id=guarded.decision_ids.get("title"),
        )
        retention = self.policy.retention_record(now, raw=False)
        restricted = None if guarded.summary.empty else guarded.summary
        with self._store.write() as tx:
            tx.execute(
                "INSERT INTO chat_threads (id, tenant_id, workspace_id, task_id, run_id, phase, session_id, title,"
                " content_state, delete_status, created_at, updated_at, last_sequence, last_message_at, record)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'redacted', 'active', ?, ?, 0, ?, ?)",
                (thread_id, *scope_params(scope), guarded.values["title"], now, now, now,
                 thread_record(actor, provenance, retention, restricted)),
            )
            if fragments and self._fragments is not None:
                self._fragments.persist(tx, fragments, actor=actor.actor_id)
            row = tx.fetchone("SELECT * FROM chat_threads WHERE id = ?", (thread_id,))
        assert row is not None
        return to_thread(row)

    def get_thread(self, thread_id: str, scope: ChatScope | dict[str, Any] | None = None) -> ChatThread:
        """One thread; with ``scope``, it must belong to it (``scope_mismatch``)."""
        parsed = parse_scope(scope) if scope is not None else None
        with self._store.read() as tx:
            return to_thread(_thread_row(tx, thread_id, parsed))

    def list_threads(self, scope: ChatScope | dict[str, Any], *, limit: int = DEFAULT_LIMIT,
                     cursor: str | None = None) -> ThreadPage:
        """Threads of exactly this scope, oldest first, ``limit`` (1..100) at a time."""
        scope = parse_scope(scope)
        check_limit(limit)
        clause, params = "", []
        if cursor:  # keyset on (created_at, rowid): insertion order, stable for threads made in the same ms
            pos = self._cursors.decode(cursor, "threads", scope.digest(), None)
            clause = " AND (created_at > ? OR (created_at = ? AND rowid > ?))"
            params = [str(pos.get("c")), str(pos.get("c")), _int(pos.get("r"))]
        with self._store.read() as tx:
            rows = tx.fetchall(f"SELECT rowid AS row_position, * FROM chat_threads WHERE {SCOPE_WHERE}{clause}"
                               " ORDER BY created_at, rowid LIMIT ?", (*scope_params(scope), *params, limit + 1))
        threads = [to_thread(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = self._cursors.encode("threads", scope.digest(), None,
                                               {"c": str(last["created_at"]), "r": int(last["row_position"])})
        return ThreadPage(threads=threads, count=len(threads), next_cursor=next_cursor)

    def list_task_threads(self, task_id: str, *, run_id: str | None = None, tenant_id: str = LOCAL_TENANT,
                          workspace_id: str = LOCAL_WORKSPACE, limit: int = DEFAULT_LIMIT,
                          cursor: str | None = None) -> ThreadPage:
        """Threads of a task (every run, phase and session, or one run), oldest first, a page at a time."""
        check_limit(limit)
        where = "tenant_id = ? AND workspace_id = ? AND task_id = ?" + (" AND run_id = ?" if run_id else "")
        params: list[Any] = [tenant_id, workspace_id, task_id, *([run_id] if run_id else [])]
        binding = keyed_digest(self._key, "chat-task-threads-v1", tenant_id, workspace_id, task_id, run_id or "")
        if cursor:
            pos = self._cursors.decode(cursor, "task-threads", binding, None)
            where += " AND (created_at > ? OR (created_at = ? AND rowid > ?))"
            params += [str(pos.get("c")), str(pos.get("c")), _int(pos.get("r"))]
        with self._store.read() as tx:
            rows = tx.fetchall(f"SELECT rowid AS row_position, * FROM chat_threads WHERE {where}"
                               " ORDER BY created_at, rowid LIMIT ?", (*params, limit + 1))
        threads = [to_thread(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = self._cursors.encode("task-threads", binding, None,
                                               {"c": str(last["created_at"]), "r": int(last["row_position"])})
        return ThreadPage(threads=threads, count=len(threads), next_cursor=next_cursor)

    # -- messages ----------------------------------------------------------------------------------------

    def append_message(self, scope: ChatScope | dict[str, Any], thread_id: str, text: str,
                       actor: ChatActor | dict[str, Any], idempotency_key: str | None, *,
                       content_format: ContentFormat = "markdown",
                       provenance: ProvenanceInput | dict[str, Any] | None = None,
                       references: list[ChatReference] | list[dict[str, Any]] | None = None) -> AppendResult:
        """Append a message: guard, then (in one transaction) replay/conflict check, sequence and insert."""
        scope = parse_scope(scope)
        actor = parse_actor(actor, scope)
        key = check_idempotency_key(idempotency_key)
        check_text(text, name="text", max_chars=MAX_TEXT_CHARS)
        stated = parse_provenance(provenance)
        refs = parse_references(references)
        if content_format == "workflow_event":
            content_format = "markdown"
        body = {"text": text, "format": content_format, "actor": actor.model_dump(mode="json"),
                "provenance": stated.model_dump(mode="json"), "references": [r.model_dump(mode="json") for r in refs]}
        digest = body_digest(self._key, body)
        key_digest = keyed_digest(self._key, "chat-idempotency-v1", scope.digest(), thread_id, key)
        message_id = "message-" + key_digest[:24]

        retained = self._retaining()
        guarded = guard_fields(
            self._guard,
            {"content": text, **_actor_fields(actor), **_provenance_fields(stated), **_label_fields(refs)},
            Sink.TRANSCRIPT, refuse_restricted=self.policy.restricted_content == "refuse", actor=actor.actor_id,
            retained=retained,
        )
        fragments = self._prepare(retained, FragmentSource(
            kind="chat_message", source_id=message_id, tenant_id=scope.tenant_id, workspace_id=scope.workspace_id,
            thread_id=thread_id, task_id=scope.task_id))
        values = guarded.values
        actor = _with_actor_fields(actor, values)
        refs = [r.model_copy(update={"label": values.get(f"references[{i}].label", r.label)})
                for i, r in enumerate(refs)]
        refs += [r for r in (ChatReference(kind="task", id=scope.task_id),
                             ChatReference(kind="workflow_run", id=scope.run_id)) if r not in refs]
        raw = self.policy.retention == "raw_allowed" and guarded.summary.empty
        decision_id = guarded.decision_ids.get("content")
        restricted = None if guarded.summary.empty else guarded.summary

        with self._store.write() as tx:
            thread = _thread_row(tx, thread_id, scope)
            if thread["delete_status"] == "tombstoned":
                raise ThreadDeletedError("the thread was deleted; start a new thread")
            existing = tx.fetchone("SELECT * FROM chat_messages WHERE thread_id = ? AND idempotency_digest = ?",
                                   (thread_id, key_digest))
            if existing is not None:
                if existing["body_digest"] != digest:
                    raise IdempotencyConflictError("idempotency key was already used with a different payload")
                return self._result(to_message(existing, scope), replay=True, decision_id=decision_id)
            sequence = int(thread["last_sequence"]) + 1
            now = max(iso_ms(), str(thread["last_message_at"]))  # never earlier than the previous message
            record = message_record(
                actor=actor, content_format=content_format, references=refs, restricted=restricted,
                provenance=_provenance(stated, actor, digest, now, decision_id, values),
                retention=self.policy.retention_record(now, raw=raw),
                redaction=None if raw else RedactionRecord(
                    policy_id=REDACTION_POLICY, redacted_at=now, redacted_by_actor_id=GUARD_ACTOR,
                    marker_count=guarded.summary.redaction_count,
                    summary="Chat guard redaction applied before persistence."),
            )
            tx.execute(
                "INSERT INTO chat_messages (id, thread_id, sequence, idempotency_digest, body_digest, content_state,"
                " delete_status, created_at, text, record) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
                (message_id, thread_id, sequence, key_digest, digest, "raw" if raw else "redacted", now,
                 values["content"], record),
            )
            tx.execute("UPDATE chat_threads SET last_sequence = ?, last_message_at = ?, updated_at = ? WHERE id = ?",
                       (sequence, now, now, thread_id))
            if fragments and self._fragments is not None:
                self._fragments.persist(tx, fragments, actor=actor.actor_id)
            row = tx.fetchone("SELECT * FROM chat_messages WHERE id = ?", (message_id,))
        assert row is not None
        return self._result(to_message(row, scope), replay=False, decision_id=decision_id)

    def list_messages(self, scope: ChatScope | dict[str, Any], thread_id: str, *, limit: int = DEFAULT_LIMIT,
                      cursor: str | None = None, include_timeline: bool = False) -> MessagePage:
        """A page of messages in sequence order; with ``include_timeline``, workflow events merged by time."""
        scope = parse_scope(scope)
        check_limit(limit)
        listing = "messages+timeline" if include_timeline else "messages"
        pos = self._cursors.decode(cursor, listing, scope.digest(), thread_id) if cursor else {}
        after_msg, after_event = _int(pos.get("m")), _int(pos.get("e"))
        with self._store.read() as tx:
            _thread_row(tx, thread_id, scope)
            rows = tx.fetchall("SELECT * FROM chat_messages WHERE thread_id = ? AND sequence > ?"
                               " ORDER BY sequence LIMIT ?", (thread_id, after_msg, limit + 1))
        items: list[ChatMessage] = [to_message(r, scope) for r in rows]
        if include_timeline:
            events = timeline_after(self._events, scope, after_event, limit + 1)
            items += [to_entry(e, scope, thread_id, self._guard) for e in events]
            items.sort(key=_merge_key)
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            for item in page:
                if item.timeline_event is not None:
                    after_event = item.timeline_event.audit_seq
                elif item.sequence is not None:
                    after_msg = item.sequence
            next_cursor = self._cursors.encode(listing, scope.digest(), thread_id, {"m": after_msg, "e": after_event})
        return MessagePage(thread_id=thread_id, messages=page, count=len(page), next_cursor=next_cursor)

    def _retaining(self) -> dict[str, tuple[RetainedRegion, ...]] | None:
        return {} if self._fragments is not None and self._fragments.enabled else None

    def _prepare(self, retained: dict[str, tuple[RetainedRegion, ...]] | None,
                 source: FragmentSource) -> list[Prepared]:
        if not retained or self._fragments is None:
            return []
        out: list[Prepared] = []
        for name, regions in retained.items():
            out += self._fragments.prepare(source, name, Sink.TRANSCRIPT.value, regions)
        retained.clear()  # the original values leave memory as soon as they are sealed
        return out

    def _result(self, message: ChatMessage, *, replay: bool, decision_id: str | None) -> AppendResult:
        return AppendResult(message=message, idempotent_replay=replay, policy_decision_id=decision_id,
                            thread_uri=thread_uri(message.thread_id), messages_uri=messages_uri(message.thread_id))


def _thread_row(tx: Transaction, thread_id: str, scope: ChatScope | None) -> Row:
    row = tx.fetchone("SELECT * FROM chat_threads WHERE id = ?", (str(thread_id)[:200],))
    if row is None:
        raise ThreadNotFoundError("chat resource was not found")
    if scope is not None and scope_of(row) != scope:
        raise ScopeMismatchError("the thread belongs to another chat scope")
    return row


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _merge_key(item: ChatMessage) -> tuple[str, int, int]:
    if item.timeline_event is not None:
        return (item.created_at, 0, item.timeline_event.audit_seq)
    return (item.created_at, 1, item.sequence or 0)


def _actor_fields(actor: ChatActor) -> dict[str, str | None]:
    return {f"actor.{name}": getattr(actor, name) for name in ACTOR_TEXT_FIELDS}


def _with_actor_fields(actor: ChatActor, values: dict[str, str | None]) -> ChatActor:
    return actor.model_copy(update={name: values[f"actor.{name}"] for name in ACTOR_TEXT_FIELDS})


def _provenance_fields(stated: ProvenanceInput) -> dict[str, str | None]:
    return {f"provenance.{name}": getattr(stated, name) for name in PROVENANCE_TEXT_FIELDS}


def _label_fields(refs: list[ChatReference]) -> dict[str, str | None]:
    return {f"references[{i}].label": r.label for i, r in enumerate(refs)}


def _provenance(stated: ProvenanceInput, actor: ChatActor, digest: str, now: str, decision_id: str | None,
                values: dict[str, str | None]) -> ChatProvenance:
    return ChatProvenance(
        source_kind=stated.source_kind or DEFAULT_SOURCE_KIND[actor.kind], source_id=digest[:43],
        created_at=now, observed_at=now,
        **{name: values[f"provenance.{name}"] for name in PROVENANCE_TEXT_FIELDS},
        input_tokens=stated.input_tokens, output_tokens=stated.output_tokens,
        estimated_cost_usd=str(stated.estimated_cost_usd) if stated.estimated_cost_usd is not None else None,
        usage_source=stated.usage_source or "unavailable", cost_source=stated.cost_source or "unavailable",
        parent_message_id=stated.parent_message_id, policy_decision_id=decision_id,
    )

