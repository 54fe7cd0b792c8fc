"""Task tools: create, read and list the tasks that delegation refers to."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.tasks import Task, TaskStatus
from orchestra_mcp.annotations import CREATES, READ_ONLY
from orchestra_mcp.errors import tool_errors


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
        id: Annotated[str, Field(description="New id: letters, digits, . _ - (1-64).")],
        title: Annotated[str, Field(description="Title, 1-200 characters.")],
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
        status: Annotated[TaskStatus, Field(description="Initial status.")] = "planned",
    ) -> Task:
        """Register a task to delegate. A duplicate id fails with task_exists. Audited."""
        with tool_errors("task_add"):
            return app.tasks.add({
                "id": id, "title": title, "goal": goal,
                "acceptance_criteria": acceptance_criteria or [], "ownership_paths": ownership_paths or [],
                "owner_role": owner_role, "status": status,
            }, actor="mcp-client")

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
