"""Creating and reading tasks; each creation is one transaction with its audit event."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orchestra.clock import iso_ms
from orchestra.errors import ConflictError, NotFoundError, ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.security.guard import SecurityGuard
from orchestra.security.identifiers import check_identifier, shown_id
from orchestra.security.model import Encoding, GuardContext, Sink
from orchestra.store.base import Row, Store
from orchestra.tasks import flow
from orchestra.tasks.model import Task, TaskChanges, TaskInput, TaskStatus
from orchestra.validation import parse_model
from orchestra.workspace.paths import guard_path

MAX_LIST_LIMIT = 500
GENERATED_ID = re.compile(r"^T-([0-9]{1,9})$")
STORE_AS_IS = GuardContext(encoding=Encoding.NONE, source_kind="task")


class TaskExistsError(ConflictError):
    """A task with that id already exists."""

    code = "task_exists"


class TaskNotFoundError(NotFoundError):
    """No task has that id."""

    code = "task_not_found"


class TaskService:
    """The task registry."""

    def __init__(self, store: Store, events: EventLog, root: Path, guard: SecurityGuard) -> None:
        self._store = store
        self._events = events
        self._root = root
        self._guard = guard

    def add(self, data: TaskInput | dict[str, Any], *, actor: str = "user") -> Task:
        """Create a task; a duplicate id is ``task_exists`` and nothing is written.

        Without an id the task gets the next free ``T-<n>``, decided inside the write transaction
        (so two processes never hand out the same one)."""
        spec = parse_model(TaskInput, data, "task")
        paths = _dedupe(guard_path(self._root, raw).relative for raw in spec.ownership_paths)
        redactions = [0]
        title, goal = self._safe(spec.title, redactions), self._safe(spec.goal, redactions)
        criteria = [self._safe(c, redactions) for c in spec.acceptance_criteria]
        deps = _dedupe(spec.depends_on)
        now = iso_ms()
        with self._store.write() as tx:
            task_id = spec.id or _next_id(tx)
            if tx.fetchone("SELECT 1 FROM tasks WHERE id = ?", (task_id,)):
                raise TaskExistsError(f"task '{task_id}' already exists")
            _check_dependencies(tx, task_id, deps)
            task = Task(
                id=task_id, title=title, goal=goal, acceptance_criteria=criteria,
                ownership_paths=paths, owner_role=spec.owner_role, status=spec.status,
                depends_on=deps, priority=spec.priority, created_at=now, updated_at=now,
            )
            tx.execute(
                "INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, owner_role,"
                " status, created_at, updated_at, depends_on, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (task.id, task.title, task.goal, json.dumps(task.acceptance_criteria),
                 json.dumps(task.ownership_paths), task.owner_role, task.status, now, now,
                 json.dumps(task.depends_on), task.priority),
            )
            metadata: dict[str, Any] = {"status": task.status, "ownerRole": task.owner_role,
                                        "acceptanceCriteria": len(task.acceptance_criteria),
                                        "ownershipPaths": len(task.ownership_paths), "redactions": redactions[0]}
            if task.depends_on:
                metadata["dependsOn"] = task.depends_on
            if task.priority != "medium":
                metadata["priority"] = task.priority
            if spec.id is None:
                metadata["generatedId"] = True
            self._events.append(tx, NewEvent(type="TASK_CREATED", actor=actor, task_id=task.id,
                                             summary=f"Task {task.id} created", metadata=metadata))
        return task

    def update(self, task_id: str, data: TaskChanges | dict[str, Any], *, actor: str = "user") -> Task:
        """Change fields and/or the status of a task: transitions validated, one audit event per change."""
        check_identifier(task_id, "task_id")
        changes = parse_model(TaskChanges, data, "task update")
        given = changes.model_dump(exclude_none=True)
        if not given:
            raise ValidationError("task update: give at least one field to change")
        redactions = [0]
        fields: dict[str, Any] = {}
        if changes.title is not None:
            fields["title"] = self._safe(changes.title, redactions)
        if changes.goal is not None:
            fields["goal"] = self._safe(changes.goal, redactions)
        if changes.acceptance_criteria is not None:
            fields["acceptance_criteria"] = json.dumps([self._safe(c, redactions)
                                                        for c in changes.acceptance_criteria])
        if changes.ownership_paths is not None:
            fields["ownership_paths"] = json.dumps(_dedupe(guard_path(self._root, raw).relative
                                                           for raw in changes.ownership_paths))
        if changes.owner_role is not None:
            fields["owner_role"] = changes.owner_role
        if changes.priority is not None:
            fields["priority"] = changes.priority
        reason = self._safe(changes.reason, redactions) if changes.reason else None
        with self._store.write() as tx:
            row = tx.fetchone("SELECT * FROM tasks WHERE id = ?", (task_id,))
            if row is None:
                raise TaskNotFoundError(f"no task with id '{task_id[:64]}'")
            if changes.depends_on is not None:
                deps = _dedupe(changes.depends_on)
                _check_dependencies(tx, task_id, deps)
                fields["depends_on"] = json.dumps(deps)
            if fields:
                now = iso_ms()
                assignments = ", ".join(f"{name} = ?" for name in fields)
                tx.execute(f"UPDATE tasks SET {assignments}, updated_at = ? WHERE id = ?",
                           (*fields.values(), now, task_id))
                self._events.append(tx, NewEvent(
                    type="TASK_UPDATED", actor=actor, task_id=task_id, summary=f"Task {task_id} updated",
                    metadata={"fields": sorted(fields), "redactions": redactions[0]},
                ))
            if changes.status is not None:
                current = str(row["status"])
                flow.check_transition(task_id, current, changes.status)
                if changes.status == "in_progress" and current != "in_progress":
                    unmet = flow.unmet_dependencies(tx, task_id)
                    if unmet:
                        raise flow.InvalidTaskTransitionError(flow.describe_unmet(task_id, unmet),
                                                              details={"unmet": [d for d, _ in unmet]})
                fresh = tx.fetchone("SELECT * FROM tasks WHERE id = ?", (task_id,))
                assert fresh is not None
                flow.set_status(tx, self._events, fresh, changes.status, reason=reason, actor=actor,
                                trigger="task_update")
            final = tx.fetchone("SELECT * FROM tasks WHERE id = ?", (task_id,))
        assert final is not None
        return _to_task(final)

    def next(self) -> tuple[Task | None, list[dict[str, Any]]]:
        """The next ready task (planned, every dependency done) by priority, then fewest dependencies,
        then age; plus the planned tasks still waiting and what they wait for."""
        with self._store.read() as tx:
            rows = tx.fetchall("SELECT * FROM tasks WHERE status = 'planned'")
            ready: list[Row] = []
            waiting: list[dict[str, Any]] = []
            for row in rows:
                unmet = flow.unmet_dependencies(tx, str(row["id"]))
                if unmet:
                    waiting.append({"task_id": str(row["id"]), "waiting_for": [d for d, _ in unmet]})
                else:
                    ready.append(row)
        ready.sort(key=lambda r: (flow.PRIORITY_ORDER.get(str(r["priority"]), 1), len(json.loads(r["depends_on"])),
                                  str(r["created_at"]), str(r["id"])))
        waiting.sort(key=lambda w: str(w["task_id"]))
        return (_to_task(ready[0]) if ready else None), waiting[:20]

    def _safe(self, text: str, counter: list[int]) -> str:
        """Text as it may be stored: secrets and personal data redacted (sink ``evidence``, no encoding)."""
        if not text:
            return text
        decision = self._guard.guard(text, Sink.EVIDENCE, STORE_AS_IS)
        if decision.text is None:
            raise ValidationError(f"task text was refused by the security guard ({decision.outcome})")
        counter[0] += decision.redaction_count
        return decision.text

    def get(self, task_id: str) -> Task:
        """One task, or ``task_not_found``."""
        with self._store.read() as tx:
            row = tx.fetchone("SELECT * FROM tasks WHERE id = ?", (task_id,))
        if row is None:
            raise TaskNotFoundError(f"no task with id '{shown_id(task_id)}'")
        return _to_task(row)

    def list(self, *, status: TaskStatus | None = None, after_id: str | None = None,
             limit: int = 100) -> list[Task]:
        """Tasks ordered by id; page with ``after_id`` (the last id of the previous page)."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if after_id is not None:
            clauses.append("id > ?")
            params.append(after_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._store.read() as tx:
            rows = tx.fetchall(f"SELECT * FROM tasks {where} ORDER BY id LIMIT ?", (*params, limit))
        return [_to_task(row) for row in rows]

    def count(self) -> dict[str, int]:
        """Number of tasks by status."""
        with self._store.read() as tx:
            rows = tx.fetchall("SELECT status, COUNT(*) AS n FROM tasks GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in rows}


def _dedupe(paths: Any) -> list[str]:
    return list(dict.fromkeys(paths))


def _next_id(tx: Any) -> str:
    highest = 0
    for row in tx.fetchall("SELECT id FROM tasks WHERE id LIKE 'T-%'"):
        match = GENERATED_ID.match(str(row["id"]))
        if match:
            highest = max(highest, int(match.group(1)))
    return f"T-{highest + 1}"


def _check_dependencies(tx: Any, task_id: str, deps: list[str]) -> None:
    if task_id in deps:
        raise ValidationError("depends_on: a task cannot depend on itself")
    missing = [d for d in deps if tx.fetchone("SELECT 1 FROM tasks WHERE id = ?", (d,)) is None]
    if missing:
        raise ValidationError(f"depends_on: unknown task(s) {', '.join(missing[:10])}")
    cycle = flow.would_cycle(tx, task_id, deps)
    if cycle:
        raise ValidationError(f"depends_on: this makes a cycle ({' -> '.join(cycle[:12])})")


def _to_task(row: Row) -> Task:
    data = dict(row)
    data["acceptance_criteria"] = json.loads(data["acceptance_criteria"])
    data["ownership_paths"] = json.loads(data["ownership_paths"])
    data["depends_on"] = json.loads(data.get("depends_on") or "[]")
    return Task.model_validate(data)
