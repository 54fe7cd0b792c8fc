"""The task registry that delegation and context refer to."""

from orchestra.tasks.model import Task, TaskChanges, TaskInput, TaskPriority, TaskStatus
from orchestra.tasks.service import TaskService

__all__ = ["Task", "TaskChanges", "TaskInput", "TaskPriority", "TaskService", "TaskStatus"]
