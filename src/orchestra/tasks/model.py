"""Task records and the bounded input that creates them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from orchestra.security.identifiers import SafeId
from orchestra.text import strip_line, strip_text

TASK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"

TaskStatus = Literal["planned", "in_progress", "blocked", "review", "done", "canceled"]
TaskId = Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN), SafeId]
Criterion = Annotated[str, BeforeValidator(strip_text),
                      StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
OwnershipPath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024), SafeId]


class TaskInput(BaseModel):
    """What a caller supplies to create a task. Every field is bounded."""

    model_config = ConfigDict(extra="forbid")

    id: TaskId = Field(description="Task id: letters, digits, '.', '_' or '-', up to 64 characters.")
    title: Annotated[str, BeforeValidator(strip_line),
                     StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="Short title (1-200 characters)."
    )
    goal: Annotated[str, BeforeValidator(strip_text),
                    StringConstraints(strip_whitespace=True, max_length=4000)] = Field(
        "", description="What done looks like, in a paragraph (up to 4000 characters)."
    )
    acceptance_criteria: list[Criterion] = Field(
        default_factory=list,
        max_length=50,
        description="Checkable criteria (up to 50, each up to 1000 chars).",
    )
    ownership_paths: list[OwnershipPath] = Field(
        default_factory=list,
        max_length=100,
        description="Workspace-relative files or folders the task owns (up to 100).",
    )
    owner_role: Annotated[str, StringConstraints(pattern=ROLE_PATTERN), SafeId] | None = Field(
        None, description="Role that owns the task, e.g. 'developer' (lowercase)."
    )
    status: TaskStatus = Field("planned", description="Initial status.")


class Task(BaseModel):
    """A task as stored."""

    id: str
    title: str
    goal: str
    acceptance_criteria: list[str]
    ownership_paths: list[str] = Field(description="Workspace-relative POSIX paths, already guarded.")
    owner_role: str | None
    status: TaskStatus
    created_at: str
    updated_at: str
