"""The task engine: create, follow, talk to, pause, resume and delete tasks."""

from taskyard.services.tasks.events import Progress, TaskEvents
from taskyard.services.tasks.service import TaskService, build_engine

__all__ = ["Progress", "TaskEvents", "TaskService", "build_engine"]
