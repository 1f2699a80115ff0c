"""Domain errors: raised where they happen, translated to the wire in one place (:mod:`.rpc`).

Every error a user can act on is a :class:`TaskyardError` whose ``kind`` names it in
``schemas/errors.json`` (and so its JSON-RPC code); lower layers (store, templates, secrets,
workspaces, the bridge client) raise these directly, so this module imports nothing above the
protocol tables::

    TaskyardError (kind, message, data)
     ├── TaskNotFoundError                  taskNotFound
     ├── TaskNotReadyError                  taskNotReady      (e.g. send while initializing)
     ├── InvalidTransitionError             invalidTransition (e.g. pause a paused task)
     ├── InvalidParametersError             invalidParameters (with per-parameter errors)
     ├── TemplateNotFoundError              templateNotFound
     ├── PresetNotFoundError                presetNotFound
     ├── InvalidTemplateError               invalidTemplate
     ├── SecretMissingError                 secretMissing     (in services.secrets: it words it)
     ├── NameConflictError                  nameConflict
     ├── AgentBusyError                     agentBusy
     ├── AgentFailureError                  agentFailure      (the bridge refused or vanished)
     ├── NoRepositoryError                  noRepository      (no editor repository to export to)
     └── WorkspaceFailureError              workspaceFailure  (``detail``: the provider's words)

Anything else that escapes a service is a bug: :func:`as_taskyard_error` answers None for it.
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

    def __init__(self, ref: str, message: str | None = None) -> None:
        super().__init__(message or f"no task with id or name {ref!r}", task=ref)
        self.task_id = ref
        """The id or name that was looked up."""


class TaskNotReadyError(TaskyardError):
    kind = "taskNotReady"


class InvalidTransitionError(TaskyardError):
    kind = "invalidTransition"


class InvalidParametersError(TaskyardError):
    kind = "invalidParameters"


class TemplateNotFoundError(TaskyardError):
    kind = "templateNotFound"

    def __init__(self, name: str) -> None:
        super().__init__(f"template {name!r} not found", template=name)
        self.name = name
        """The name that was asked for."""


class PresetNotFoundError(TaskyardError):
    kind = "presetNotFound"

    def __init__(self, template: str, preset: str) -> None:
        message = f"preset {preset!r} not found in template {template!r}"
        super().__init__(message, template=template, preset=preset)
        self.template = template
        self.preset = preset


class InvalidTemplateError(TaskyardError):
    kind = "invalidTemplate"


class NameConflictError(TaskyardError):
    kind = "nameConflict"

    def __init__(self, name: str) -> None:
        super().__init__(f"a task named {name!r} already exists")
        self.name = name
        """The name that was asked for."""


class AgentBusyError(TaskyardError):
    kind = "agentBusy"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "the agent is busy; queue the message or wait until it is idle")


class AgentFailureError(TaskyardError):
    kind = "agentFailure"


class NoRepositoryError(TaskyardError):
    kind = "noRepository"


class WorkspaceFailureError(TaskyardError):
    """A workspace could not be created, started, stopped or read; ``detail`` says more."""

    kind = "workspaceFailure"

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, detail=detail or None)
        self.detail = detail


def as_taskyard_error(exc: BaseException) -> TaskyardError | None:
    """The domain error ``exc`` is, or None for a bug."""
    return exc if isinstance(exc, TaskyardError) else None
