"""The task registry that delegation and context refer to."""

from orchestra.tasks.model import Task, TaskInput, TaskStatus
from orchestra.tasks.service import TaskService

__all__ = ["Task", "TaskInput", "TaskService", "TaskStatus"]
