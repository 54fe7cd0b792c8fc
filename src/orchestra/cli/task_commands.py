"""``orchestra task add|list|show|update|done|next``."""

from __future__ import annotations

import argparse

from orchestra.cli.output import open_app, print_json
from orchestra.errors import ValidationError
from orchestra.tasks.model import Task
from orchestra.text import terminal_safe

STATUSES = ("planned", "in_progress", "blocked", "review", "done", "canceled")


def run_add(args: argparse.Namespace) -> int:
    """Register a task."""
    with open_app(args) as app:
        task = app.tasks.add({
            "id": args.id, "title": args.title, "goal": args.goal, "acceptance_criteria": args.criteria,
            "ownership_paths": args.paths, "owner_role": args.owner_role, "status": args.status,
            "depends_on": args.depends_on, "priority": args.priority,
        }, actor="cli")
    if args.json:
        print_json(task)
    else:
        print(f"Added task {task.id}: {terminal_safe(task.title)}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List every task (paging internally)."""
    if args.status is not None and args.status not in STATUSES:
        raise ValidationError(f"unknown status '{args.status}'; expected one of {', '.join(STATUSES)}")
    tasks: list[Task] = []
    with open_app(args) as app:
        after: str | None = None
        while page := app.tasks.list(status=args.status, after_id=after, limit=500):
            tasks.extend(page)
            after = page[-1].id
            if len(page) < 500:
                break
    if args.json:
        print_json([t.model_dump(mode="json") for t in tasks])
        return 0
    if not tasks:
        print("No tasks.")
    for task in tasks:
        print(f"{task.id:<24} {task.status:<12} {terminal_safe(task.title)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Show one task."""
    with open_app(args) as app:
        task = app.tasks.get(args.id)
    if args.json:
        print_json(task)
        return 0
    print(f"{task.id}: {terminal_safe(task.title)}  [{task.status}]")
    if task.goal:
        print(f"Goal: {terminal_safe(task.goal)}")
    if task.owner_role:
        print(f"Owner role: {task.owner_role}")
    for criterion in task.acceptance_criteria:
        print(f"  - [ ] {terminal_safe(criterion)}")
    for path in task.ownership_paths:
        print(f"  owns {terminal_safe(path)}")
    return 0


def run_update(args: argparse.Namespace) -> int:
    """Change fields or the status of a task (validated, audited)."""
    changes = {"status": args.status, "reason": args.reason, "title": args.title, "goal": args.goal,
               "acceptance_criteria": args.criteria, "ownership_paths": args.paths, "owner_role": args.owner_role,
               "depends_on": args.depends_on, "priority": args.priority}
    return _update(args, changes)


def run_done(args: argparse.Namespace) -> int:
    """Mark a task done (and promote sessions that waited on it)."""
    return _update(args, {"status": "done", "reason": args.reason})


def run_next(args: argparse.Namespace) -> int:
    """Show the next ready task."""
    with open_app(args) as app:
        task, waiting = app.tasks.next()
    if args.json:
        print_json({"task": task.model_dump(mode="json") if task else None, "waiting": waiting})
        return 0
    if task is None:
        print("No task is ready.")
    else:
        print(f"Next: {task.id} [{task.priority}] {task.title}")
    for item in waiting:
        print(f"  waiting: {item['task_id']} on {', '.join(item['waiting_for'])}")
    return 0 if task is not None else 1


def _update(args: argparse.Namespace, changes: dict[str, object]) -> int:
    with open_app(args) as app:
        task, promoted = app.delegation.update_task(args.id, changes, actor="cli")
    if args.json:
        print_json({**task.model_dump(mode="json"), "promoted_sessions": promoted})
        return 0
    print(f"Task {task.id}: {task.status}" + (f" ({task.status_reason})" if task.status_reason else ""))
    for sid in promoted:
        print(f"  promoted session {sid}: launch it now")
    return 0
