"""Domain errors and their one translation to the wire (JSON-RPC errors and CLI messages).

::

    TaskyardError (kind, message, data)     code and kind from schemas/errors.json
     ├── TaskNotFoundError                  taskNotFound
     ├── TaskNotReadyError                  taskNotReady      (e.g. send while initializing)
     ├── InvalidTransitionError             invalidTransition (e.g. pause a paused task)
     ├── InvalidParametersError             invalidParameters (with per-parameter errors)
     ├── AgentBusyError                     agentBusy
     ├── AgentFailureError                  agentFailure      (the bridge refused or vanished)
     ├── NoRepositoryError                  noRepository      (no editor repository to export to)
     └── WorkspaceFailureError              workspaceFailure

Errors raised by services that predate this tree (template, secret, store, bridge client) are
mapped by :func:`as_taskyard_error`, the only place that knows them all.
"""

from __future__ import annotations

from typing import Any

from taskyard.protocol import ERRORS


class TaskyardError(Exception):
    """An error the user can act on; ``kind`` names it on the wire."""

    kind = "workspaceFailure"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = {k: v for k, v in data.items() if v is not None}

    @property
    def code(self) -> int:
        return ERRORS[self.kind][0]  # type: ignore[index]


class TaskNotFoundError(TaskyardError):
    kind = "taskNotFound"


class TaskNotReadyError(TaskyardError):
    kind = "taskNotReady"


class InvalidTransitionError(TaskyardError):
    kind = "invalidTransition"


class InvalidParametersError(TaskyardError):
    kind = "invalidParameters"


class AgentBusyError(TaskyardError):
    kind = "agentBusy"


class AgentFailureError(TaskyardError):
    kind = "agentFailure"


class NoRepositoryError(TaskyardError):
    kind = "noRepository"


class WorkspaceFailureError(TaskyardError):
    kind = "workspaceFailure"


class NameConflictError(TaskyardError):
    kind = "nameConflict"


def as_taskyard_error(exc: BaseException) -> TaskyardError | None:
    """The domain error for any service exception, or None for a bug."""
    from taskyard.services.secrets import SecretMissing
    from taskyard.services.store import NameConflict, StoreError, TaskNotFound
    from taskyard.services.templates import PresetNotFound, TemplateNotFound
    from taskyard.workspaces.base import WorkspaceFailure
    from taskyard.workspaces.bridge_client import AgentBusy, BridgeError

    if isinstance(exc, TaskyardError):
        return exc
    if isinstance(exc, TemplateNotFound):
        return _kinded("templateNotFound", f"template {exc.name!r} not found", template=exc.name)
    if isinstance(exc, PresetNotFound):
        return _kinded(
            "presetNotFound",
            f"preset {exc.preset!r} not found in template {exc.template!r}",
            template=exc.template,
            preset=exc.preset,
        )
    if isinstance(exc, SecretMissing):
        return _kinded("secretMissing", str(exc), secret=exc.secret)
    if isinstance(exc, NameConflict):
        return NameConflictError(f"a task named {exc.name!r} already exists")
    if isinstance(exc, TaskNotFound):
        return TaskNotFoundError(f"task {exc.task_id!r} not found", task=exc.task_id)
    if isinstance(exc, AgentBusy):
        return AgentBusyError("the agent is busy; queue the message or wait until it is idle")
    if isinstance(exc, BridgeError):
        return AgentFailureError(str(exc))
    if isinstance(exc, WorkspaceFailure):
        return WorkspaceFailureError(str(exc), detail=exc.detail or None)
    if isinstance(exc, StoreError):
        return WorkspaceFailureError(f"the task database failed: {exc}")
    return None


def _kinded(kind: str, message: str, **data: Any) -> TaskyardError:
    err = TaskyardError(message, **data)
    err.kind = kind
    return err
