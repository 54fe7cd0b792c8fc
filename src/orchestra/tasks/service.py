"""Creating and reading tasks; each creation is one transaction with its audit event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestra.clock import iso_ms
from orchestra.errors import ConflictError, NotFoundError, ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.security.guard import SecurityGuard
from orchestra.security.identifiers import shown_id
from orchestra.security.model import Encoding, GuardContext, Sink
from orchestra.store.base import Row, Store
from orchestra.tasks.model import Task, TaskInput, TaskStatus
from orchestra.validation import parse_model
from orchestra.workspace.paths import guard_path

MAX_LIST_LIMIT = 500
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
        """Create a task; a duplicate id is ``task_exists`` and nothing is written."""
        spec = parse_model(TaskInput, data, "task")
        paths = _dedupe(guard_path(self._root, raw).relative for raw in spec.ownership_paths)
        redactions = [0]
        title, goal = self._safe(spec.title, redactions), self._safe(spec.goal, redactions)
        criteria = [self._safe(c, redactions) for c in spec.acceptance_criteria]
        now = iso_ms()
        task = Task(
            id=spec.id, title=title, goal=goal, acceptance_criteria=criteria,
            ownership_paths=paths, owner_role=spec.owner_role, status=spec.status,
            created_at=now, updated_at=now,
        )
        with self._store.write() as tx:
            if tx.fetchone("SELECT 1 FROM tasks WHERE id = ?", (task.id,)):
                raise TaskExistsError(f"task '{task.id}' already exists")
            tx.execute(
                "INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, owner_role,"
                " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (task.id, task.title, task.goal, json.dumps(task.acceptance_criteria),
                 json.dumps(task.ownership_paths), task.owner_role, task.status, now, now),
            )
            self._events.append(tx, NewEvent(
                type="TASK_CREATED", actor=actor, task_id=task.id, summary=f"Task {task.id} created",
                metadata={"status": task.status, "ownerRole": task.owner_role,
                          "acceptanceCriteria": len(task.acceptance_criteria),
                          "ownershipPaths": len(task.ownership_paths), "redactions": redactions[0]},
            ))
        return task

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


def _to_task(row: Row) -> Task:
    data = dict(row)
    data["acceptance_criteria"] = json.loads(data["acceptance_criteria"])
    data["ownership_paths"] = json.loads(data["ownership_paths"])
    return Task.model_validate(data)
