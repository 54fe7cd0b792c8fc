"""DelegationService: spawn requests, lifecycle updates, reads and waits over the state store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from orchestra.approvals.gate import CallerApprovals
from orchestra.capacity import CapacityService
from orchestra.clock import iso_ms
from orchestra.context.manifest import ContextManifest
from orchestra.context.service import ContextService
from orchestra.delegation import repair, settle
from orchestra.delegation import repository as repo
from orchestra.delegation import result as results
from orchestra.delegation.errors import InvalidTransitionError, SessionNotFoundError
from orchestra.delegation.guardrails import evaluate
from orchestra.delegation.lifecycle import EVENT_TYPES, RESERVING, TARGET_STATUS, TERMINAL, allowed_updates
from orchestra.delegation.parent_action import parent_action
from orchestra.delegation.requests import (
    ContextSummary,
    SessionCounts,
    SessionDetail,
    SessionList,
    SessionUpdate,
    SpawnRequest,
    SpawnResult,
    UpdateResult,
    WaitResult,
)
from orchestra.delegation.spawn import check_replay, session_uri, spawn
from orchestra.delegation.sweeper import deadline, promote, sweep, sweep_sessions
from orchestra.errors import ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.fragments.service import FragmentService, FragmentSource, Prepared
from orchestra.runtime.adapters import get_adapter
from orchestra.runtime.status import RuntimeService
from orchestra.security.guard import SecurityGuard
from orchestra.security.identifiers import shown_id
from orchestra.security.model import Sink
from orchestra.security.retained import RetainedRegion
from orchestra.store.base import Row, Store, Transaction
from orchestra.store.clock import Clock, local_now, now_of
from orchestra.tasks import Task, TaskService, flow
from orchestra.validation import parse_model
from orchestra.workspace.config import DelegationGuardrails, TaskPolicy
from orchestra.workspace.layout import WorkspaceLayout

LOCAL_TENANT = LOCAL_WORKSPACE = "local"
MAX_LIST = 500
MAX_WAIT_IDS = 50


class DelegationService:
    """Sub-agent delegation for one workspace; safe across processes (every decision is one transaction)."""

    def __init__(self, *, layout: WorkspaceLayout, store: Store, events: EventLog, tasks: TaskService,
                 context: ContextService, runtime: RuntimeService, guard: SecurityGuard,
                 policy: DelegationGuardrails, capacity: CapacityService,
                 clock: Clock | None = None, fragments: FragmentService | None = None,
                 task_policy: TaskPolicy | None = None,
                 budget_overrun: Callable[[str, str], list[str]] | None = None) -> None:
        self.layout = layout
        self.root: Path = layout.root
        self.store = store
        self.events = events
        self.tasks = tasks
        self.context = context
        self.runtime = runtime
        self.guard = guard
        self.policy = policy
        self.capacity = capacity
        self.clock = clock
        self.fragments = fragments
        self.task_policy = task_policy or TaskPolicy()
        self.budget_overrun = budget_overrun
        """The budgets a task's and role's recorded usage is past (a spawn then needs a person's approval)."""
        self.watched: dict[str, tuple[float, int]] = {}
        """Handoff files already found invalid, by session (looked at again when they change)."""
        capacity.add_maintainer(self._maintain)

    def _maintain(self, tx: Transaction, now: datetime) -> None:
        """Capacity's hook: expire and promote sessions inside a capacity transaction."""
        sweep_sessions(tx, self.events, self.policy, now, self.capacity)

    # -- spawning -------------------------------------------------------------------------------------------

    def spawn(self, data: SpawnRequest | dict[str, Any], *, client_name: str | None = None,
              actor: str = "parent", approval: CallerApprovals | None = None) -> SpawnResult:
        """Admit (``requested``), queue (``queued``) or reject a request for a sub-agent.

        With ``approval`` (an MCP caller), a spawn for a task past its budget needs a person's approval."""
        request = parse_model(SpawnRequest, data, "spawn request")
        return spawn(self, request, client_name=client_name, actor=actor, clock=self.clock, approval=approval)

    def replay(self, row: Row, print_: str) -> SpawnResult:
        """The result of an earlier spawn with the same idempotency key."""
        check_replay(row, print_)
        with self.store.read() as tx:
            session = self._session(tx, row)
            first = repo.transitions(tx, session.session_id)[0]
            report = evaluate(tx, self.policy, session.task_id, session.depth)
        adapter = get_adapter(session.runtime)
        prompt_resource = f"{session_uri(session.session_id)}/prompt"
        status = "queued" if session.status == "queued" else "requested"
        action = parent_action(adapter, session_id=session.session_id, status=status,
                               prompt_artifact=session.artifacts.prompt, prompt_resource=prompt_resource,
                               expected_result=session.artifacts.expected_result)
        return SpawnResult(
            session_id=session.session_id, status=session.status, replayed=True, task_id=session.task_id,
            phase=session.phase, role=session.role, runtime=session.runtime, runtime_source="replay",
            guardrails=report, parent_action=action, next_calls=action.next_calls, artifacts=session.artifacts,
            session_resource=session_uri(session.session_id), prompt_resource=prompt_resource,
            context=ContextSummary(files=0, omitted_sources=0, final_lines=0, redactions=0, content_hash=""),
            quality_warnings=[], message=f"Replayed the request made at {first.at}; the session is {session.status}.",
        )

    # -- lifecycle ------------------------------------------------------------------------------------------

    def update(self, data: SessionUpdate | dict[str, Any], *, actor: str = "parent") -> UpdateResult:
        """Record a lifecycle step; repeats of the same step return the earlier one."""
        update = parse_model(SessionUpdate, data, "session update")
        with self.store.read() as tx:
            row = self._row(tx, update.session_id)
        target = TARGET_STATUS[update.status]
        retained: list[Prepared] = []
        artifact, result, summary, redactions = self._checked_payload(update, row, self._retainer(row, retained))
        with self.store.write() as tx:
            now = now_of(tx, self.clock)
            expired, promoted = sweep(tx, self.events, self.policy, now, self.capacity)
            row = self._row(tx, update.session_id)
            current = str(row["status"])
            event_type = EVENT_TYPES[update.status]
            if current == target:
                earlier = repo.find_transition(tx, update.session_id, event_type, update.agent_id, artifact)
                if earlier is not None:
                    if current in ("active", "spawned"):  # a heartbeat: refresh the deadline, no new event
                        stamp = iso_ms(now)
                        renewed = deadline(current, now, self.policy)
                        repo.update_session(tx, update.session_id, last_activity_at=stamp, updated_at=stamp,
                                            expires_at=renewed)
                        self.capacity.renew_held(tx, update.session_id, renewed or stamp, now)
                    return UpdateResult(session=self._session(tx, self._row(tx, update.session_id)),
                                        transition=earlier, replayed=True, promoted=promoted, expired=expired)
            if update.status not in allowed_updates(current):
                allowed = ", ".join(allowed_updates(current)) or "nothing (the session is closed)"
                raise InvalidTransitionError(
                    f"session {update.session_id} is {current}; it cannot become {update.status}. Allowed: {allowed}",
                    details={"status": current, "allowed": list(allowed_updates(current))},
                )
            stamp = iso_ms(now)
            agent = update.agent_id or row["agent_id"]
            event = self.events.append(tx, NewEvent(
                type=event_type, actor=actor, task_id=row["task_id"],
                summary=f"Runtime spawn lifecycle {update.status}: {update.session_id}"[:2000],
                artifacts=[artifact] if artifact else [],
                metadata={"sessionId": update.session_id, "runtime": row["runtime"], "phase": row["phase"],
                          "role": row["role"], "spawnedAgentId": agent, "previousStatus": current,
                          "status": target, "directProviderApiAllowed": False, "redactions": redactions},
            ))
            fields: dict[str, Any] = {"status": target, "agent_id": agent, "updated_at": stamp,
                                      "last_activity_at": stamp, "expires_at": deadline(target, now, self.policy)}
            if summary is not None:
                fields["summary"] = summary
            if result is not None:
                fields["result"] = result
            if artifact is not None and update.status == "completed":
                arts = repo.to_session(row).artifacts.model_copy(update={"result": artifact})
                fields["artifacts"] = arts
            repo.update_session(tx, update.session_id, **fields)
            if retained and self.fragments is not None:
                self.fragments.persist(tx, retained, actor=actor)
            step = repo.add_transition(tx, update.session_id, from_status=current, to_status=target,
                                       event_type=event.type, audit_seq=event.seq, agent_id=agent,
                                       artifact=artifact, summary=summary, at=stamp)
            if target in RESERVING and fields["expires_at"] is not None:
                self.capacity.renew_held(tx, update.session_id, fields["expires_at"], now)
            flow.follow_session(tx, self.events, str(row["task_id"]), target, session_id=update.session_id,
                                reason=summary, on_complete=self.task_policy.on_complete)
            if current in RESERVING | {"queued"} and target not in RESERVING:
                self.capacity.release_held(tx, update.session_id, f"session {target}", now)
                promoted += promote(tx, self.events, self.policy, now, self.capacity)
                self.capacity.engine.promote(tx, now)
            session = self._session(tx, self._row(tx, update.session_id))
        return UpdateResult(session=session, transition=step, replayed=False, promoted=promoted, expired=expired,
                            redactions=redactions)

    def _retainer(self, row: Row, into: list[Prepared]) -> results.Retain | None:
        """A collector of redacted values for the fragment service (``None`` when retention is disabled)."""
        fragments = self.fragments
        if fragments is None or not fragments.enabled:
            return None

        def retain(kind: str, field: str, regions: tuple[RetainedRegion, ...]) -> None:
            source = FragmentSource(kind=kind, source_id=str(row["session_id"]), tenant_id=LOCAL_TENANT,
                                    workspace_id=LOCAL_WORKSPACE, task_id=str(row["task_id"]))
            into.extend(fragments.prepare(source, field, Sink.EVIDENCE.value, regions))

        return retain

    def _checked_payload(self, update: SessionUpdate, row: Row, retain: results.Retain | None = None,
                         ) -> tuple[str | None, dict[str, Any] | None, str | None, int]:
        """Validate and guard the artifact, result and summary of an update (before any write)."""
        expected = {"task_id": row["task_id"], "phase": row["phase"], "role": row["role"],
                    "runtime": row["runtime"], "session_id": row["session_id"]}
        redactions = 0
        artifact, result = None, None
        if update.status == "completed" and row["status"] != "completed":
            if update.artifact is None and update.result is None:
                raise ValidationError("completed needs the handoff artifact or a structured result")
            if update.artifact is not None:
                artifact, found = results.check_artifact(self.root, update.artifact, expected, self.guard, retain)
                redactions += found
            if update.result is not None:
                result, found = results.check_result(update.result, expected, self.guard, retain)
                redactions += found
        elif update.artifact is not None:
            artifact, _ = results.workflow_artifact(self.root, update.artifact)
        summary = None
        if update.summary:
            decision = results.guard_evidence(self.guard, update.summary.strip(), retain, "handoff_summary", "summary")
            summary = (decision.text or f"[withheld: {decision.outcome}]")[: self.policy.handoff_max_chars]
            redactions += decision.redaction_count
        return artifact, result, summary, redactions

    # -- reads ----------------------------------------------------------------------------------------------

    def get(self, session_id: str) -> SessionDetail:
        """One session with its timeline (its files, when missing or torn, are put back from its record)."""
        self.sweep()
        repair.repair_session(self.root, self.store, session_id, self._rebuild_manifest)
        with self.store.read() as tx:
            row = self._row(tx, session_id)
            session = self._session(tx, row)
            timeline = repo.transitions(tx, session_id)
        return SessionDetail(session=session, timeline=timeline, allowed_updates=list(allowed_updates(session.status)),
                             resource=session_uri(session_id))

    def list_sessions(self, *, task_id: str | None = None, status: str | None = None, include_closed: bool = False,
             limit: int = 100) -> SessionList:
        """Sessions (newest first) and counts."""
        if not 1 <= limit <= MAX_LIST:
            raise ValidationError(f"limit must be between 1 and {MAX_LIST}")
        expired = self.sweep()
        now = local_now(self.clock)
        with self.store.read() as tx:
            rows = repo.list_rows(tx, task_id=task_id, status=status, include_closed=include_closed, limit=limit)
            sessions = [self._session(tx, r) for r in rows]
            counts = repo.status_counts(tx, task_id)
        stale = sum(1 for s in sessions
                    if s.status in RESERVING and _half_silent(s.last_activity_at, s.expires_at, now))
        return SessionList(
            sessions=sessions,
            counts=SessionCounts(
                total=sum(counts.values()),
                active=sum(counts.get(s, 0) for s in ("requested", "spawned", "active")),
                suspended=counts.get("suspended", 0), queued=counts.get("queued", 0),
                terminal=sum(counts.get(s, 0) for s in TERMINAL), stale=stale,
            ),
            max_concurrent_delegates=self.policy.max_concurrent_delegates, expired=expired,
        )

    def wait_check(self, session_ids: Sequence[str], mode: Literal["any", "all"], waited_s: float = 0.0,
                   final: bool = False, baseline: dict[str, str] | None = None) -> WaitResult:
        """One poll of a wait: sweep, then whether any/all of ``session_ids`` are finished, and which
        changed status since ``baseline`` (session id -> status at the start of the wait)."""
        ids = list(dict.fromkeys(session_ids))
        if not 1 <= len(ids) <= MAX_WAIT_IDS:
            raise ValidationError(f"wait on 1 to {MAX_WAIT_IDS} sessions")
        self.sweep()
        with self.store.read() as tx:
            sessions = [self._session(tx, self._row(tx, sid)) for sid in ids]
        finished = [s.session_id for s in sessions if s.terminal]
        done = bool(finished) if mode == "any" else len(finished) == len(ids)
        changed = [s.session_id for s in sessions
                   if baseline is not None and baseline.get(s.session_id, s.status) != s.status]
        return WaitResult(done=done, mode=mode, finished=finished,
                          pending=[s.session_id for s in sessions if not s.terminal], sessions=sessions,
                          waited_s=round(waited_s, 3), timed_out=final and not done and not changed,
                          changed=changed)

    def prompt_text(self, session_id: str) -> str:
        """The child prompt of a session."""
        with self.store.read() as tx:
            session = self._session(tx, self._row(tx, session_id))
            stored = repo.stored_prompt(tx, session_id)
        if stored is not None:
            return stored
        path = self.root / session.artifacts.prompt
        try:
            text: str = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionNotFoundError(f"the prompt file of session {shown_id(session_id, 300)} is missing") from None
        return text

    def sweep(self) -> list[str]:
        """Settle pending handoffs from host hooks and handoff files the children wrote, expire overdue
        sessions and promote queued ones (a cheap read when nothing is due)."""
        self.settle_reports()
        now = local_now(self.clock)
        if self.store.read_only:  # nothing can be recorded; reads show the stored state
            return []
        with self.store.read() as tx:
            due = repo.has_expired(tx, iso_ms(now))
        if not due:
            return []
        with self.store.write() as tx:
            expired, _ = sweep(tx, self.events, self.policy, now_of(tx, self.clock), self.capacity)
        return expired

    def settle_reports(self) -> list[str]:
        """Settle what nobody reported through a tool: pending handoffs from host stop hooks, and
        handoff files the children wrote (cheap when there is none). Returns the settled session ids."""
        settled = [sid for path in settle.pending_files(self.root) if (sid := settle.settle_pending(self, path))]
        return settled + settle.watch_handoffs(self)

    def update_task(self, task_id: str, changes: dict[str, Any], *, actor: str) -> tuple[Task, list[str]]:
        """Change a task; when it is now done, promote queued sessions that were waiting on it.

        Returns the task and the ids of the sessions promoted (to launch now)."""
        task = self.tasks.update(task_id, changes, actor=actor)
        return task, (self.promote_ready() if task.status == "done" else [])

    def promote_ready(self) -> list[str]:
        """Promote queued sessions now (e.g. after a dependency was marked done); returns their ids."""
        with self.store.write() as tx:
            _, promoted = sweep(tx, self.events, self.policy, now_of(tx, self.clock), self.capacity)
        return promoted

    def counts(self) -> dict[str, int]:
        """Sessions per status."""
        with self.store.read() as tx:
            return repo.status_counts(tx, None)

    # -- helpers --------------------------------------------------------------------------------------------

    def _rebuild_manifest(self, task_id: str, role: str, phase: str | None, paths: list[str]) -> ContextManifest:
        """A session's context manifest built again (for :mod:`orchestra.delegation.repair`)."""
        return self.context.manifest(task_id, role, phase=phase, paths=paths)

    def _row(self, tx: Transaction, session_id: str) -> Row:
        row = repo.get_row(tx, session_id)
        if row is None:
            raise SessionNotFoundError(f"unknown runtime delegation session: {shown_id(session_id, 300)}")
        return row

    def _session(self, tx: Transaction, row: Row) -> Any:
        position = repo.queue_position(tx, int(row["queue_seq"])) if row["status"] == "queued" else None
        return repo.to_session(row, queue_position=position)


def _half_silent(last: str, expires: str | None, now: datetime) -> bool:
    if expires is None:
        return False
    start, end = datetime.fromisoformat(last), datetime.fromisoformat(expires)
    return now - start > (end - start) / 2 if end > start else now > end
