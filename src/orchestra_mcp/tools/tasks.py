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
        title: Annotated[str, Field(description="Title, 1-200 characters.")],
        id: Annotated[str | None, Field(description="New id (letters, digits, . _ -); default T-<n>.")]
        = None,
        goal: Annotated[str, Field(description="What done looks like.")] = "",
        acceptance_criteria: Annotated[
            list[str] | None, Field(description="Up to 50 checks.")
        ] = None,
        ownership_paths: Annotated[
            list[str] | None, Field(description="Paths the task owns (up to 100).")
        ] = None,
        owner_role: Annotated[
            str | None, Field(description="Owning role, e.g. 'developer'.")
        ] = None,
        depends_on: Annotated[list[str] | None, Field(description="Do first.",
                                                      max_length=50)] = None,
        priority: Annotated[TaskPriority, Field(description="high, medium or low.")] = "medium",
    ) -> Task:
        """Register a task to delegate (a duplicate id is task_exists). Audited."""
        with tool_errors("task_add"):
            return app.tasks.add({
                "id": id, "title": title, "goal": goal,
                "acceptance_criteria": acceptance_criteria or [], "ownership_paths": ownership_paths or [],
                "owner_role": owner_role, "status": "planned", "depends_on": depends_on or [], "priority": priority,
            }, actor="mcp-client")

    @server.tool(title="Update a task", annotations=IDEMPOTENT)
    def task_update(
        task_id: Annotated[str, Field(description="The task to change.", max_length=64)],
        status: Annotated[TaskStatus | None, Field(description="New status.")] = None,
        reason: Annotated[str | None, Field(description="Why.", max_length=1000)] = None,
        title: Annotated[str | None, Field(description="Title.", max_length=200)] = None,
        goal: Annotated[str | None, Field(description="Goal.", max_length=4000)] = None,
        acceptance_criteria: Annotated[list[str] | None, Field(description="Criteria.", max_length=50)] = None,
        ownership_paths: Annotated[list[str] | None, Field(description="Paths.", max_length=100)] = None,
        owner_role: Annotated[str | None, Field(description="Owner role.", max_length=64)] = None,
        depends_on: Annotated[list[str] | None, Field(description="Dependencies.", max_length=50)] = None,
        priority: Annotated[TaskPriority | None, Field(description="Priority.")] = None,
    ) -> Task:
        """Change a task; given fields replace. Status moves are validated and audited (sessions move it
        too)."""
        with tool_errors("task_update"):
            task, _ = app.delegation.update_task(task_id, {
                "status": status, "reason": reason, "title": title, "goal": goal,
                "acceptance_criteria": acceptance_criteria, "ownership_paths": ownership_paths,
                "owner_role": owner_role, "depends_on": depends_on, "priority": priority,
            }, actor="mcp-client")
            return task

    @server.tool(title="Next ready task", annotations=READ_ONLY)
    def task_next() -> NextTask:
        """The next ready task (planned, dependencies done, by priority) and those still waiting."""
        with tool_errors("task_next"):
            task, waiting = app.tasks.next()
            message = (f"Delegate {task.id} next: spawn_request(task_id={task.id!r})." if task else
                       "No task is ready: every planned task waits on a dependency, or none is planned.")
            return NextTask(task=task, waiting=[WaitingTask(**w) for w in waiting], message=message)

    @server.tool(title="Get a task", annotations=READ_ONLY)
    def task_get(
        task_id: Annotated[str, Field(description="Task id.", max_length=64)],
    ) -> Task:
        """Read one task: goal, criteria, paths, role, status."""
        with tool_errors("task_get"):
            return app.tasks.get(task_id)

    @server.tool(title="List tasks", annotations=READ_ONLY)
    def task_list(
        status: Annotated[TaskStatus | None, Field(description="Only tasks with this status.")] = None,
        after_id: Annotated[
            str | None, Field(description="next_after_id of the previous page.",
                              max_length=64)
        ] = None,
        limit: Annotated[int, Field(description="Page size, 1-500.", ge=1, le=500)] = 100,
    ) -> TaskPage:
        """List tasks by id, a page at a time."""
        with tool_errors("task_list"):
            tasks = app.tasks.list(status=status, after_id=after_id, limit=limit)
            last = tasks[-1].id if len(tasks) == limit else None
            return TaskPage(tasks=tasks, count=len(tasks), next_after_id=last)
