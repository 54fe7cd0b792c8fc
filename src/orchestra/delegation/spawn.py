"""Admitting a spawn request: resolve, evaluate, write artifacts, commit session + audit event together."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestra.approvals import gate as approvals
from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import ApprovalSubject, ApprovalTicket
from orchestra.capacity import CapacityRequest
from orchestra.clock import iso_ms
from orchestra.context.manifest import ContextManifest, marked_markdown
from orchestra.delegation import artifacts as files
from orchestra.delegation import guardrails, request_files
from orchestra.delegation import repository as repo
from orchestra.delegation.errors import DelegationRejectedError, IdempotencyConflictError, RuntimeCannotSpawnError
from orchestra.delegation.lifecycle import EVENT_TYPES, SessionStatus
from orchestra.delegation.model import GuardrailReport, Session, SessionArtifacts
from orchestra.delegation.parent_action import parent_action
from orchestra.delegation.prompt import guard_prompt, render_child_prompt
from orchestra.delegation.requests import ContextSummary, SpawnRequest, SpawnResult
from orchestra.delegation.sweeper import deadline, sweep
from orchestra.events import NewEvent
from orchestra.runtime.adapters import ADAPTERS, RuntimeAdapter, get_adapter
from orchestra.security.model import Sink
from orchestra.security.opaque_ids import opaque_id
from orchestra.store.base import Row, Transaction
from orchestra.store.clock import Clock, now_of
from orchestra.tasks import flow
from orchestra.workspace.paths import guard_path

if TYPE_CHECKING:
    from orchestra.delegation.service import DelegationService


def session_uri(session_id: str) -> str:
    """The MCP resource of a session."""
    return f"orchestra://sessions/{session_id}"


def fingerprint(request: SpawnRequest) -> str:
    """sha256 of the request without its idempotency key."""
    body = request.model_dump(mode="json", exclude={"idempotency_key"})
    for key in ("tenant_id", "workspace_id"):  # absent scope hashes as before these fields existed
        if body.get(key) is None:
            body.pop(key, None)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class _Prepared:
    """Everything decided before the admitting transaction."""

    task_id: str
    role: str
    phase: str
    adapter: RuntimeAdapter
    runtime_source: str
    session_id: str
    planned: SessionArtifacts
    brief: str | None
    request_doc: dict[str, Any]
    files: dict[str, str]
    manifest: ContextManifest
    warnings: list[str]
    role_source: str


def spawn(service: DelegationService, request: SpawnRequest, *, client_name: str | None,
          actor: str, clock: Clock | None, approval: CallerApprovals | None = None) -> SpawnResult:
    """Replay, or prepare → (a person's approval past a budget) → write artifacts → admit in one
    transaction, the approval consumed in it (artifacts removed on failure)."""
    print_ = fingerprint(request)
    if request.idempotency_key:
        with service.store.read() as tx:
            earlier = repo.by_idempotency_key(tx, request.idempotency_key)
        if earlier is not None:
            return service.replay(earlier, print_)
    prepared = _prepare(service, request, client_name)
    ticket = _budget_gate(service, request, prepared, approval)
    written: list[Path] = []
    try:
        with service.store.write() as tx:
            now = now_of(tx, clock)
            sweep(tx, service.events, service.policy, now, service.capacity)
            earlier = repo.by_idempotency_key(tx, request.idempotency_key) if request.idempotency_key else None
            if earlier is None:
                approvals.consume(approval, tx, ticket)
                session, report, capacity = _admit(service, tx, request, prepared, print_, actor, now)
                # Created under the write lock, after admission: a rejected request writes nothing, and a
                # file without a session row is an orphan of a crashed call (see sweep_orphans). The files
                # are not fsynced: the row and the admission event re-render them (delegation/repair.py).
                # One folder fsync, in this thread, right before the COMMIT: once the row is durable, so
                # are the names.
                written = files.write_all(service.root, prepared.files)
                files.sync_folders(written)
    except BaseException:
        files.remove_all(written)
        raise
    if earlier is not None:
        return service.replay(earlier, print_)
    return _result(prepared, session, report, capacity)


def _budget_gate(service: DelegationService, request: SpawnRequest, prepared: _Prepared,
                 approval: CallerApprovals | None) -> ApprovalTicket | None:
    """A spawn for a task whose recorded usage is past a budget waits for a person (when configured)."""
    if approval is None or service.budget_overrun is None or not approval.requires("spawn_over_budget"):
        return None
    over = service.budget_overrun(prepared.task_id, prepared.role)
    if not over:
        return None
    return approvals.check(approval, ApprovalSubject(
        action="spawn_over_budget", arguments=request.model_dump(mode="json", exclude={"idempotency_key"}),
        reason_code="budget_exceeded", task_id=prepared.task_id,
        summary=f"spawn a {prepared.role} sub-agent for task {prepared.task_id} past its budget "
                f"({'; '.join(over[:5])})"))


def _prepare(service: DelegationService, request: SpawnRequest, client_name: str | None) -> _Prepared:
    task = service.tasks.get(request.task_id)
    role = request.role or task.owner_role or service.task_policy.default_role
    role_source = "request" if request.role else ("task" if task.owner_role else "default")
    phase = request.phase or role
    choice = service.runtime.select(explicit=request.runtime, task_id=task.id, role=role, client_name=client_name)
    adapter = get_adapter(choice.runtime or "generic-runtime")
    if not adapter.can_spawn_subagent:
        able = [a.id for a in ADAPTERS if a.can_spawn_subagent]
        raise RuntimeCannotSpawnError(
            f"runtime {adapter.id} does not support runtime subagent spawning (chosen by {choice.source}); "
            f"pass runtime= one of: {', '.join(able)}, or do the work in this session",
            details={"runtime": adapter.id, "alternatives": able},
        )
    hard = guardrails.policy_reasons(service.policy, request.depth)
    if hard:
        raise DelegationRejectedError("runtime delegation reject: " + "; ".join(hard), details={"reasons": hard})
    extra_paths = [guard_path(service.root, p).relative for p in request.ownership_paths]
    ownership = list(dict.fromkeys([*task.ownership_paths, *extra_paths]))
    brief = _guarded_brief(service, request.brief)
    manifest = service.context.manifest(task.id, role, phase=phase, paths=extra_paths, task=task)
    session_id = opaque_id(f"{task.id}:{request.run_id or 'manual'}:{phase}:{adapter.id}:", 8)
    planned = files.plan(service.layout, session_id)
    marked = render_child_prompt(task=task, session_id=session_id, phase=phase, role=role, adapter=adapter,
                                 brief=brief, ownership_paths=ownership, manifest_markdown=marked_markdown(manifest),
                                 expected_result=planned.expected_result)
    prompt = guard_prompt(service.guard, marked)
    warnings = _quality_warnings(task.acceptance_criteria, len(manifest.bundle.omitted_sources),
                                 manifest.bundle.final_bytes, service.policy.context_budget_tokens)
    doc = request_files.request_doc(
        {"sessionId": session_id, "taskId": task.id, "runId": request.run_id, "phase": phase, "role": role,
         "runtime": adapter.id, "runtimeSource": choice.source, "depth": request.depth}, brief,
        {"ownershipPaths": ownership, "spawnTool": adapter.spawn_tool, "directProviderApiAllowed": False,
         "qualityWarnings": warnings}, planned, manifest.bundle.content_hash)
    return _Prepared(
        task_id=task.id, role=role, phase=phase, adapter=adapter, runtime_source=choice.source or "default",
        session_id=session_id, planned=planned, brief=brief, request_doc=doc, manifest=manifest, warnings=warnings,
        role_source=role_source,
        files={
            planned.context_manifest: manifest.model_dump_json(indent=2) + "\n",
            planned.prompt: prompt,
            planned.request_json: request_files.request_json(doc),
            planned.request: request_files.request_markdown(doc, adapter.label),
        },
    )


def _admit(service: DelegationService, tx: Transaction, request: SpawnRequest, prepared: _Prepared, print_: str,
           actor: str, now: datetime) -> tuple[Session, GuardrailReport, dict[str, Any]]:
    report = guardrails.evaluate(tx, service.policy, prepared.task_id, request.depth)
    if report.decision == "reject":
        raise DelegationRejectedError("runtime delegation reject: " + "; ".join(report.reasons),
                                      details={"reasons": report.reasons})
    unmet = flow.unmet_dependencies(tx, prepared.task_id)
    if unmet:
        why = flow.describe_unmet(prepared.task_id, unmet)
        if service.task_policy.unmet_dependencies == "reject":
            raise DelegationRejectedError(
                f"runtime delegation reject: {why}; finish those first (task_next shows what is ready)",
                details={"reasons": [why], "unmet": [d for d, _ in unmet]})
        report = report.model_copy(update={"decision": "queue", "reasons": [*report.reasons, why]})
    expires = deadline("requested", now, service.policy)
    decision = service.capacity.engine.decide(tx, CapacityRequest(
        tenant_id=request.tenant_id, workspace_id=request.workspace_id, workload_class="runtime-native-spawn",
        runtime=prepared.adapter.id, limit_action=service.policy.limit_action,
    ), now, holder=prepared.session_id, blocked=report.decision == "queue", lease_expires=expires, actor=actor)
    if decision.status in ("rejected", "deferred"):
        raise DelegationRejectedError(
            f"runtime delegation reject: {decision.user_safe_reason} ({decision.reason_code})",
            details={"reasons": [*report.reasons, decision.user_safe_reason], "reasonCode": decision.reason_code})
    status: SessionStatus = "requested" if decision.status == "admitted" else "queued"
    capacity = {"decision_id": decision.decision_id, "status": decision.status, "reason_code": decision.reason_code,
                "user_safe_reason": decision.user_safe_reason,
                "lease_id": decision.lease.lease_id if decision.lease else None,
                "queue_id": decision.queue.queue_id if decision.queue else None}
    stamp = iso_ms(now)
    session = Session(
        session_id=prepared.session_id, task_id=prepared.task_id, run_id=request.run_id, phase=prepared.phase,
        role=prepared.role, runtime=prepared.adapter.id, depth=request.depth, status=status, agent_id=None,
        brief=prepared.brief, created_at=stamp, updated_at=stamp, last_activity_at=stamp,
        expires_at=expires if status == "requested" else None, artifacts=prepared.planned, terminal=False,
    )
    ticket = repo.next_queue_seq(tx) if status == "queued" else None
    repo.insert_session(tx, session, idempotency_key=request.idempotency_key, fingerprint=print_, queue_seq=ticket,
                        prompt=prepared.files[prepared.planned.prompt])
    planned = prepared.planned
    event = service.events.append(tx, NewEvent(
        type=EVENT_TYPES[status], actor=actor, task_id=prepared.task_id,
        summary=f"Runtime spawn request {status}: {prepared.phase} via {prepared.adapter.id}",
        artifacts=[planned.request, planned.prompt, planned.context_manifest],
        metadata={**{k: v for k, v in prepared.request_doc.items() if k not in ("brief", "artifacts")},
                  "status": status, "guardrails": report.model_dump(mode="json"),
                  "capacity": {"decisionId": capacity["decision_id"], "reasonCode": capacity["reason_code"],
                               "leaseId": capacity["lease_id"], "queueId": capacity["queue_id"]},
                  "expectedResultArtifact": planned.expected_result},
    ))
    repo.add_transition(tx, prepared.session_id, from_status=None, to_status=status, event_type=event.type,
                        audit_seq=event.seq, agent_id=None, artifact=None, summary="; ".join(report.reasons) or None,
                        at=stamp)
    if ticket is not None:
        session = session.model_copy(update={"queue_position": repo.queue_position(tx, ticket)})
    flow.follow_session(tx, service.events, prepared.task_id, status, session_id=prepared.session_id)
    return session, report, capacity


def _result(prepared: _Prepared, session: Session, report: GuardrailReport,
            capacity: dict[str, Any] | None) -> SpawnResult:
    planned = prepared.planned
    prompt_resource = f"{session_uri(session.session_id)}/prompt"
    action = parent_action(prepared.adapter, session_id=session.session_id, status=session.status,
                           prompt_artifact=planned.prompt, prompt_resource=prompt_resource,
                           expected_result=planned.expected_result)
    message = (f"Launch the child now: {action.instructions[1]}" if session.status == "requested" else
               f"Queued at position {session.queue_position}: do not launch yet; call session_wait on this session.")
    if prepared.role_source == "default":
        message += f" Role {session.role} is the configured default (the task has no owner role)."
    bundle = prepared.manifest.bundle
    return SpawnResult(
        session_id=session.session_id, status=session.status, replayed=False, task_id=session.task_id,
        phase=session.phase, role=session.role, runtime=session.runtime, runtime_source=prepared.runtime_source,
        guardrails=report, parent_action=action, next_calls=action.next_calls, artifacts=planned,
        session_resource=session_uri(session.session_id), prompt_resource=prompt_resource,
        context=ContextSummary(files=len(bundle.files), omitted_sources=len(bundle.omitted_sources),
                               final_lines=bundle.final_lines, redactions=bundle.redaction_total,
                               content_hash=bundle.content_hash),
        quality_warnings=prepared.warnings, capacity=capacity, message=message, role_source=prepared.role_source,
    )


def check_replay(row: Row, print_: str) -> None:
    """Same key and body → replay; same key, different body → conflict."""
    if row["request_fingerprint"] != print_:
        raise IdempotencyConflictError("this idempotency key was already used for a different spawn request")


def _guarded_brief(service: DelegationService, brief: str | None) -> str | None:
    if brief is None or not brief.strip():
        return None
    return service.guard.guard_or_raise(brief.strip(), Sink.PROMPT)


def _quality_warnings(criteria: list[str], omitted: int, final_bytes: int, budget_tokens: int) -> list[str]:
    warnings: list[str] = []
    if not criteria:
        warnings.append("task has no explicit acceptance criteria")
    estimate = final_bytes // 4
    if estimate > budget_tokens:
        warnings.append(f"context token estimate {estimate} exceeds budget {budget_tokens}")
    if omitted:
        warnings.append(f"{omitted} context sources were omitted by the line budget")
    return warnings
