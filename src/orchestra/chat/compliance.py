"""Compliance export and logical delete of a thread, a task or a run (reference §4.8).

Export streams pages of messages to JSON and Markdown files under ``.agent-workflow/exports/``
(bounded memory, atomic publish), re-classifying every title and message with the guard (sink
``export``); tombstoned messages are left out unless asked for, and then appear only as
``[deleted]``. Delete tombstones messages and threads in one transaction. Both append an audit
event with actor, selection and counts, never content.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from orchestra.approvals import gate as approvals
from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import ApprovalSubject
from orchestra.chat.errors import ChatNotFoundError, InvalidRequestError
from orchestra.chat.export_files import AtomicStreamWriter
from orchestra.chat.guarding import guard_fields
from orchestra.chat.inputs import check_actor_id, check_reason_code, check_role, parse
from orchestra.chat.model import ChatSelection, DeleteResult, ExportKind, ExportResult
from orchestra.chat.policy import GUARD_ACTOR
from orchestra.chat.records import LOCAL_TENANT, LOCAL_WORKSPACE, Identifier, RestrictedSummary
from orchestra.chat.rows import scope_of, to_message, to_thread
from orchestra.clock import iso_ms
from orchestra.events import EventLog, NewEvent
from orchestra.fragments.model import RedactedShadow
from orchestra.fragments.service import FragmentService, FragmentSource
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Sink
from orchestra.security.retained import RetainedRegion
from orchestra.store.base import Row, Store
from orchestra.workspace.layout import WorkspaceLayout
from orchestra.workspace.paths import guard_path

PAGE_SIZE = 500
EXPORT_NAME_RE = re.compile(r"^chat-export-[A-Za-z0-9-]{1,120}\.(json|md)$")
DELETED_TEXT = "[deleted]"
Progress = Callable[[int, int, str], None]


class _SelectionInput(ChatSelection):
    tenant_id: Identifier = LOCAL_TENANT
    workspace_id: Identifier = LOCAL_WORKSPACE
    thread_id: Identifier | None = None
    task_id: Identifier | None = None
    run_id: Identifier | None = None


def export_uri(name: str) -> str:
    """The MCP resource of an export file."""
    return f"orchestra://chat/exports/{name}"


class ChatCompliance:
    """Export and delete over the chat tables."""

    def __init__(self, store: Store, events: EventLog, guard: SecurityGuard, layout: WorkspaceLayout,
                 fragments: FragmentService | None = None) -> None:
        self._fragments = fragments
        self._store = store
        self._events = events
        self._guard = guard
        self._layout = layout

    def selection(self, kind: ExportKind, *, thread_id: str | None = None, task_id: str | None = None,
                  run_id: str | None = None, tenant_id: str = LOCAL_TENANT,
                  workspace_id: str = LOCAL_WORKSPACE) -> ChatSelection:
        """A checked selection: thread needs thread_id; task needs task_id; run needs task_id and run_id."""
        needed = {"thread": ("thread_id",), "task": ("task_id",), "run": ("task_id", "run_id")}.get(kind)
        if needed is None:
            raise InvalidRequestError("selection.kind is invalid")
        data = {"kind": kind, "tenant_id": tenant_id, "workspace_id": workspace_id, "thread_id": thread_id,
                "task_id": task_id, "run_id": run_id}
        for name in needed:
            if not data[name]:
                raise InvalidRequestError(f"a {kind} selection needs {name}")
        keep = {"kind", "tenant_id", "workspace_id", *needed}
        parsed = parse(_SelectionInput, {k: v for k, v in data.items() if k in keep}, InvalidRequestError,
                       "chat selection")
        return ChatSelection.model_validate(parsed.model_dump())

    def _threads(self, selection: ChatSelection) -> list[Row]:
        where, params = ["tenant_id = ?", "workspace_id = ?"], [selection.tenant_id, selection.workspace_id]
        for column in ("thread_id", "task_id", "run_id"):
            value = getattr(selection, column)
            if value is not None:
                where.append(f"{'id' if column == 'thread_id' else column} = ?")
                params.append(value)
        with self._store.read() as tx:
            rows = tx.fetchall("SELECT id, task_id, last_sequence FROM chat_threads WHERE "
                               f"{' AND '.join(where)} ORDER BY created_at, id", params)
        if not rows:
            raise ChatNotFoundError(f"Chat compliance selection did not match any {selection.kind} records.")
        return rows

    # -- export ------------------------------------------------------------------------------------------

    def export(self, selection: ChatSelection, *, actor_id: str, actor_role: str, include_tombstoned: bool = False,
               progress: Progress | None = None) -> ExportResult:
        """Write the JSON and Markdown exports; return counts, paths and URIs (never content)."""
        check_actor_id(actor_id)
        check_role(actor_role)
        threads = self._threads(selection)
        total = sum(int(r["last_sequence"]) for r in threads)
        exported_at = iso_ms()
        stem = f"chat-export-{selection.kind}-{exported_at.replace(':', '').replace('.', '')}-{secrets.token_hex(3)}"
        exports = self._layout.exports_dir
        state = _ExportState(total=total, progress=progress)
        with AtomicStreamWriter(exports / f"{stem}.json") as js, AtomicStreamWriter(exports / f"{stem}.md") as md:
            head = {"schema_version": 1, "selection": selection.model_dump(mode="json"), "exported_at": exported_at,
                    "content": "redacted_only"}
            js.write(json.dumps(head, ensure_ascii=False)[:-1] + ',"records":[')
            md.write("\n".join(["# Chat Evidence Export", "", f"- Scope: {selection.kind}",
                                f"- Tenant: {selection.tenant_id}", f"- Workspace: {selection.workspace_id}",
                                f"- Threads: {len(threads)}", "", ""]))
            for index, row in enumerate(threads):
                self._export_thread(str(row["id"]), js, md, state, exported_at, include_tombstoned, first=index == 0)
            tail = {"thread_count": len(threads), "message_count": state.messages,
                    "restricted_fragment_count": state.fragments,
                    "tombstoned_included": state.tomb_in, "tombstoned_excluded": state.tomb_out,
                    "restricted_message_count": state.restricted_records,
                    "restricted": state.restricted.model_dump(mode="json")}
            js.write('],"summary":' + json.dumps(tail, ensure_ascii=False) + "}\n")
            js.commit()
            md.commit()
            paths = {"json": self._layout.relative(js.path), "markdown": self._layout.relative(md.path)}
            try:
                event = self._events.record(NewEvent(
                    type="CHAT_EXPORT_RECORDED", actor=actor_id[:128], task_id=_task_of(selection, threads),
                    summary=f"Chat export recorded for {selection.kind}",
                    metadata={"actorRole": actor_role, "tenantId": selection.tenant_id,
                              "workspaceId": selection.workspace_id,
                              "selection": selection.model_dump(mode="json", exclude_none=True),
                              "exportedAt": exported_at, "threadCount": len(threads), "messageCount": state.messages,
                              "tombstonedIncluded": state.tomb_in, "tombstonedExcluded": state.tomb_out,
                              "restrictedEventCount": state.restricted_records,
                              "restrictedCategories": state.restricted.categories,
                              "files": {**paths, "jsonSha256": js.sha256, "markdownSha256": md.sha256}},
                    artifacts=list(paths.values()),
                ))
            except BaseException:
                for writer in (js, md):
                    writer.path.unlink(missing_ok=True)
                raise
        if progress:
            progress(total, total, "export written")
        return ExportResult(
            selection=selection, exported_at=exported_at, thread_count=len(threads), message_count=state.messages,
            tombstoned_included=state.tomb_in, tombstoned_excluded=state.tomb_out,
            restricted_message_count=state.restricted_records, restricted=state.restricted,
            json_path=paths["json"], markdown_path=paths["markdown"], json_sha256=js.sha256,
            markdown_sha256=md.sha256, json_uri=export_uri(js.path.name), markdown_uri=export_uri(md.path.name),
            audit_event_id=event.id,
        )

    def _export_thread(self, thread_id: str, js: AtomicStreamWriter, md: AtomicStreamWriter, state: _ExportState,
                       exported_at: str, include_tombstoned: bool, *, first: bool) -> None:
        with self._store.read() as tx:
            row = tx.fetchone("SELECT * FROM chat_threads WHERE id = ?", (thread_id,))
        assert row is not None
        thread = to_thread(row)
        scope = scope_of(row)
        guarded = guard_fields(self._guard, {"title": thread.title}, Sink.EXPORT)
        restricted = (thread.restricted or RestrictedSummary()).merged(guarded.summary)
        state.add_restricted(restricted)
        thread = thread.model_copy(update={
            "title": guarded.values["title"], "restricted": None if restricted.empty else restricted,
            "export": thread.export.model_copy(update={"status": "redacted_only", "raw_content_exportable": False}),
        })
        record = {"schema_version": 1, "scope": scope.model_dump(mode="json"),
                  "thread": thread.model_dump(mode="json"), "exported_at": exported_at, "content": "redacted_only"}
        js.write(("" if first else ",") + json.dumps(record, ensure_ascii=False)[:-1] + ',"messages":[')
        md.write("\n".join([f"## {_one_line(thread.title)}", "", f"- Task: {scope.task_id}",
                            f"- Run: {scope.run_id}", f"- Phase: {scope.phase}", f"- Exported At: {exported_at}",
                            "", ""]))
        after, written = 0, 0
        while True:
            with self._store.read() as tx:
                rows = tx.fetchall("SELECT * FROM chat_messages WHERE thread_id = ? AND sequence > ?"
                                   " ORDER BY sequence LIMIT ?", (thread_id, after, PAGE_SIZE))
            if not rows:
                break
            shadows = (self._fragments.shadows_for(str(r["id"]) for r in rows)
                       if self._fragments is not None else {})
            for message_row in rows:
                after = int(message_row["sequence"])
                item = self._export_message(message_row, scope, include_tombstoned, state,
                                            shadows.get(str(message_row["id"]), []))
                if item is None:
                    continue
                js.write(("," if written else "") + json.dumps(item, ensure_ascii=False))
                md.write(_markdown_line(item))
                written += 1
        js.write("]}")
        md.write("\n")

    def _export_message(self, row: Row, scope: Any, include_tombstoned: bool, state: _ExportState,
                        shadows: list[RedactedShadow]) -> dict[str, Any] | None:
        message = to_message(row, scope)
        state.step()
        if message.content_state == "tombstoned":
            if not include_tombstoned:
                state.tomb_out += 1
                return None
            state.tomb_in += 1
            text = DELETED_TEXT
            restricted = message.restricted or RestrictedSummary()
        else:
            retained: dict[str, tuple[RetainedRegion, ...]] | None = (
                {} if self._fragments is not None and self._fragments.enabled else None)
            guarded = guard_fields(self._guard, {"content": message.content.text}, Sink.EXPORT, retained=retained)
            shadows = shadows + self._retain_export(retained, message.id, row, scope)
            text = guarded.values["content"] or ""
            restricted = (message.restricted or RestrictedSummary()).merged(guarded.summary)
        state.messages += 1
        state.add_restricted(restricted)
        exported = message.model_copy(update={
            "content": message.content.model_copy(update={"text": text}),
            "restricted": None if restricted.empty else restricted,
            "export": message.export.model_copy(update={"raw_content_exportable": False}),
        })
        item = exported.model_dump(mode="json")
        if shadows:
            state.fragments += len(shadows)
            item["restricted_fragments"] = [_export_shadow(s) for s in shadows]
        return item

    def _retain_export(self, retained: dict[str, tuple[RetainedRegion, ...]] | None, message_id: str, row: Row,
                       scope: Any) -> list[RedactedShadow]:
        """Fragments for values the export guard found (stored text from before a rule existed)."""
        if not retained or self._fragments is None:
            return []
        source = FragmentSource(kind="export", source_id=message_id, tenant_id=scope.tenant_id,
                                workspace_id=scope.workspace_id, thread_id=str(row["thread_id"]),
                                task_id=scope.task_id)
        prepared = [p for name, regions in retained.items()
                    for p in self._fragments.prepare(source, name, Sink.EXPORT.value, regions)]
        retained.clear()
        if not prepared:
            return []
        with self._store.write() as tx:
            ids = set(self._fragments.persist(tx, prepared, actor=GUARD_ACTOR))
        return [s for s in self._fragments.shadows_for([message_id]).get(message_id, []) if s.fragment_id in ids]

    def read_export(self, name: str, *, max_bytes: int = 8 * 1024 * 1024) -> str:
        """The text of an export file by its name (``chat-export-….json|md``); ``not_found`` when absent."""
        if not isinstance(name, str) or not EXPORT_NAME_RE.match(name):
            raise ChatNotFoundError("chat export was not found")
        path = guard_path(self._layout.root, self._layout.relative(self._layout.exports_dir / name)).absolute
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except FileNotFoundError:
            raise ChatNotFoundError("chat export was not found") from None
        if len(data) > max_bytes:
            raise InvalidRequestError(f"the export is larger than {max_bytes} bytes; read the file instead")
        return data.decode("utf-8")

    # -- delete ------------------------------------------------------------------------------------------

    def delete(self, selection: ChatSelection, *, actor_id: str, actor_role: str, reason_code: str,
               approval: CallerApprovals | None = None) -> DeleteResult:
        """Tombstone every active message and thread of the selection (one transaction) and audit it; with
        ``approval``, only after a person approved this exact delete (the grant is used in that transaction)."""
        check_actor_id(actor_id)
        check_role(actor_role)
        check_reason_code(reason_code)
        threads = self._threads(selection)
        ticket = approvals.check(approval, ApprovalSubject(
            action="chat_delete", reason_code="destructive_action", task_id=_task_of(selection, threads),
            arguments={"selection": selection.model_dump(mode="json", exclude_none=True), "actorId": actor_id,
                       "actorRole": actor_role, "reasonCode": reason_code},
            summary=f"tombstone the chat {selection.kind} {_selected(selection)} ({len(threads)} thread(s); "
                    f"reason {reason_code})"))
        now = iso_ms()
        deleted_threads: list[str] = []
        deleted_messages = 0
        with self._store.write() as tx:
            approvals.consume(approval, tx, ticket)
            for row in threads:
                thread_id = str(row["id"])
                deleted_messages += tx.execute(
                    "UPDATE chat_messages SET text = '', content_state = 'tombstoned', delete_status = 'tombstoned',"
                    " tombstoned_at = ?, tombstoned_by = ?, delete_reason = ?"
                    " WHERE thread_id = ? AND delete_status = 'active'", (now, actor_id, reason_code, thread_id))
                if tx.execute("UPDATE chat_threads SET content_state = 'tombstoned', delete_status = 'tombstoned',"
                              " tombstoned_at = ?, tombstoned_by = ?, delete_reason = ?, updated_at = ?"
                              " WHERE id = ? AND delete_status = 'active'",
                              (now, actor_id, reason_code, now, thread_id)):
                    deleted_threads.append(thread_id)
            event = self._events.append(tx, NewEvent(
                type="CHAT_DELETE_RECORDED", actor=actor_id[:128], task_id=_task_of(selection, threads),
                summary=f"Chat delete recorded for {selection.kind}",
                metadata={"actorRole": actor_role, "tenantId": selection.tenant_id,
                          "workspaceId": selection.workspace_id,
                          "selection": selection.model_dump(mode="json", exclude_none=True), "deletedAt": now,
                          "reasonCode": reason_code, "deletedThreads": deleted_threads,
                          "deletedMessageCount": deleted_messages},
            ))
        shredded = 0
        if self._fragments is not None:
            result = self._fragments.shred_scope(
                thread_ids=[str(r["id"]) for r in threads],
                task_id=selection.task_id if selection.kind == "task" else None,
                actor=actor_id, reason_code=reason_code)
            shredded = len(result.fragment_ids)
        if deleted_messages or deleted_threads:
            self._store.purge_journal()  # the erased text must not linger in the -wal file
        return DeleteResult(selection=selection, deleted_at=now, deleted_threads=deleted_threads,
                            deleted_messages=deleted_messages, fragments_shredded=shredded,
                            already_deleted=not deleted_threads and deleted_messages == 0, audit_event_id=event.id)


class _ExportState:
    """Running counts of an export."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress = total, progress
        self.done = self.messages = self.tomb_in = self.tomb_out = self.restricted_records = self.fragments = 0
        self.restricted = RestrictedSummary()

    def step(self) -> None:
        self.done += 1
        if self.progress is not None and self.done < self.total:
            self.progress(self.done, self.total, f"exported {self.done} of {self.total} messages")

    def add_restricted(self, summary: RestrictedSummary) -> None:
        if not summary.empty:
            self.restricted_records += 1
            self.restricted = self.restricted.merged(summary)


def _export_shadow(shadow: RedactedShadow) -> dict[str, Any]:
    """A shadow as exports carry it (no digest: exports leave the workspace)."""
    return shadow.model_dump(mode="json", exclude={"plaintext_digest"})


def _selected(selection: ChatSelection) -> str:
    if selection.kind == "thread":
        return str(selection.thread_id)
    if selection.kind == "run":
        return f"{selection.task_id}/{selection.run_id}"
    return str(selection.task_id)


def _task_of(selection: ChatSelection, threads: list[Row]) -> str:
    return selection.task_id or str(threads[0]["task_id"])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _markdown_line(item: dict[str, Any]) -> str:
    text = str(item["content"]["text"]).replace("\r\n", "\n").replace("\n", "\n  ")
    lines = [f"- [{item['actor']['kind']}] {item['created_at']}: {text}"]
    restricted = item.get("restricted")
    if restricted:
        lines.append(f"  - restricted: categories={','.join(restricted['categories'])} "
                     f"redactions={restricted['redaction_count']} markers={','.join(restricted['markers'])}")
    fragments = item.get("restricted_fragments")
    if fragments:
        lines.append(f"  - restricted fragments: {len(fragments)} "
                     f"({','.join(sorted({f['category'] + ':' + f['lifecycle_status'] for f in fragments}))})")
    return "\n".join(lines) + "\n"
