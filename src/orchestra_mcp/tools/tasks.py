"""Task tools: create, read and list the tasks that delegation refers to."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.tasks import Task, TaskPriority, TaskStatus
from orchestra_mcp.annotations import CREATES, IDEMPOTENT, READ_ONLY
from orchestra_mcp.errors import tool_errors


class WaitingTask(BaseModel):
    """A planned task whose dependencies are not done."""

    task_id: str
    waiting_for: list[str]


class NextTask(BaseModel):
    """The next ready task and what still waits."""

    task: Task | None = Field(description="The next ready task (planned, dependencies done; priority first); "
                                          "null when none is ready.")
    waiting: list[WaitingTask] = Field(description="Planned tasks held back by dependencies (up to 20).")
    message: str


class TaskPage(BaseModel):
    """One page of tasks."""

    tasks: list[Task]
    count: int = Field(description="Number of tasks on this page.")
    next_after_id: str | None = Field(
        description="Pass as after_id to get the next page; null when this is the last page."
    )


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the task tools to ``server``."""

    @server.tool(title="Add a task", annotations=CREATES)
    def task_add(
        title: Annotated[str, Field(description="Short title, 1-200 characters.")],
        id: Annotated[str | None, Field(description="Task id: a letter or digit, then letters, digits, '.', '_' "
                                                    "or '-'; at most 64 characters; new. Default: next T-<n>.")]
        = None,
        goal: Annotated[str, Field(description="What done looks like (up to 4000 characters).")] = "",
        acceptance_criteria: Annotated[
            list[str] | None, Field(description="Checkable acceptance criteria, up to 50.")
        ] = None,
        ownership_paths: Annotated[
            list[str] | None, Field(description="Workspace-relative files or folders the task owns (no absolute "
                                                "paths, no '..'), up to 100.")
        ] = None,
        owner_role: Annotated[
            str | None, Field(description="Role that owns the task, lowercase, e.g. 'developer'.")
        ] = None,
        status: Annotated[TaskStatus, Field(description="Initial status.")] = "planned",
        depends_on: Annotated[list[str] | None, Field(description="Ids of tasks that must be done first.",
                                                      max_length=50)] = None,
        priority: Annotated[TaskPriority, Field(description="high, medium or low.")] = "medium",
    ) -> Task:
        """Register a task so sub-agents can be delegated to it. The id is permanent;
        a duplicate id fails with task_exists and changes nothing. Recorded in the audit log."""
        with tool_errors("task_add"):
            return app.tasks.add({
                "id": id, "title": title, "goal": goal,
                "acceptance_criteria": acceptance_criteria or [], "ownership_paths": ownership_paths or [],
                "owner_role": owner_role, "status": status, "depends_on": depends_on or [], "priority": priority,
            }, actor="mcp-client")

    @server.tool(title="Update a task", annotations=IDEMPOTENT)
    def task_update(
        task_id: Annotated[str, Field(description="The task to change.", max_length=64)],
        status: Annotated[TaskStatus | None, Field(description="New status (validated; the error lists the "
                                                               "allowed ones).")] = None,
        reason: Annotated[str | None, Field(description="Why (kept with the status, e.g. what blocks it).",
                                            max_length=1000)] = None,
        title: Annotated[str | None, Field(description="New title.", max_length=200)] = None,
        goal: Annotated[str | None, Field(description="New goal.", max_length=4000)] = None,
        acceptance_criteria: Annotated[list[str] | None, Field(description="Replace the criteria.",
                                                               max_length=50)] = None,
        ownership_paths: Annotated[list[str] | None, Field(description="Replace the ownership paths.",
                                                           max_length=100)] = None,
        owner_role: Annotated[str | None, Field(description="New owner role.", max_length=64)] = None,
        depends_on: Annotated[list[str] | None, Field(description="Replace the dependencies (no cycles).",
                                                      max_length=50)] = None,
        priority: Annotated[TaskPriority | None, Field(description="New priority.")] = None,
    ) -> Task:
        """Change a task's fields or status. Status moves are validated and audited; sessions also move
        it (spawn: in_progress; failure: blocked; last session completed: review or done)."""
        with tool_errors("task_update"):
            task = app.tasks.update(task_id, {
                "status": status, "reason": reason, "title": title, "goal": goal,
                "acceptance_criteria": acceptance_criteria, "ownership_paths": ownership_paths,
                "owner_role": owner_role, "depends_on": depends_on, "priority": priority,
            }, actor="mcp-client")
            if status == "done":
                app.delegation.promote_ready()
            return task

    @server.tool(title="Next ready task", annotations=READ_ONLY)
    def task_next() -> NextTask:
        """The next task to work on: planned, every dependency done, highest priority first (then fewest
        dependencies, then oldest). Also lists planned tasks still waiting on dependencies."""
        with tool_errors("task_next"):
            task, waiting = app.tasks.next()
            message = (f"Delegate {task.id} next: spawn_request(task_id={task.id!r})." if task else
                       "No task is ready: every planned task waits on a dependency, or none is planned.")
            return NextTask(task=task, waiting=[WaitingTask(**w) for w in waiting], message=message)

    @server.tool(title="Get a task", annotations=READ_ONLY)
    def task_get(
        task_id: Annotated[str, Field(description="The id of the task to read.", max_length=64)],
    ) -> Task:
        """Read one task: title, goal, acceptance criteria, ownership paths, owner role and status."""
        with tool_errors("task_get"):
            return app.tasks.get(task_id)

    @server.tool(title="List tasks", annotations=READ_ONLY)
    def task_list(
        status: Annotated[TaskStatus | None, Field(description="Only tasks with this status.")] = None,
        after_id: Annotated[
            str | None, Field(description="Continue after this task id (next_after_id of the previous page).",
                              max_length=64)
        ] = None,
        limit: Annotated[int, Field(description="Page size, 1-500.", ge=1, le=500)] = 100,
    ) -> TaskPage:
        """List tasks ordered by id, a page at a time."""
        with tool_errors("task_list"):
            tasks = app.tasks.list(status=status, after_id=after_id, limit=limit)
            last = tasks[-1].id if len(tasks) == limit else None
            return TaskPage(tasks=tasks, count=len(tasks), next_after_id=last)
