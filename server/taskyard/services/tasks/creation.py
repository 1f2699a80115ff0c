"""Creating a task: validate, name, choose its provider, record it ``pending``, start it.

Everything that can be refused is refused before anything exists (``invalidParameters`` with
per-parameter errors, an unknown template or preset, a name taken); then the record is
inserted with the owner mark of this engine and its start-up begins in the background.
The preset recorded is exactly the one applied: none when none was asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from taskyard.errors import InvalidParametersError
from taskyard.lifecycle import TaskStatus
from taskyard.protocol import TasksCreateParams
from taskyard.services.names import NameGenerator, is_valid_name
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord, TaskStore
from taskyard.services.templates import TemplateService

from .announce import Announcer, Clock
from .events import Progress
from .lifecycle import TaskLifecycle, new_workspace
from .owners import Owners

ChooseProvider = Callable[[str], Awaitable[str]]
"""The provider for a new task whose template asks for ``auto``, ``local`` or ``docker``."""


class TaskCreation:
    """``create``; see the module docstring."""

    def __init__(
        self,
        *,
        store: TaskStore,
        catalog: TemplateService,
        secrets: SecretStore,
        names: NameGenerator,
        lifecycle: TaskLifecycle,
        announcer: Announcer,
        owners: Owners,
        choose_provider: ChooseProvider,
        clock: Clock,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._secrets = secrets
        self._names = names
        self._lifecycle = lifecycle
        self._announcer = announcer
        self._owners = owners
        self._choose = choose_provider
        self._clock = clock

    async def create(self, params: TasksCreateParams, progress: Progress | None) -> TaskRecord:
        result = self._catalog.validate(params.template, params.preset, params.parameters)
        if not result.valid:
            errors = [{"parameter": e.parameter, "message": e.message} for e in result.errors]
            summary = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
            raise InvalidParametersError(
                f"invalid parameters: {summary}", parameterErrors=errors, template=params.template
            )
        spec = self._catalog.spec(params.template)
        if params.name is not None and not is_valid_name(params.name):
            raise InvalidParametersError(
                f"invalid task name {params.name!r}: use a-z, 0-9 and '-', at most 32 characters"
            )
        name, display = await self._name(params)
        task_id, now = str(uuid.uuid4()), self._clock()
        provider = await self._choose(spec.template.workspace.provider)
        record = TaskRecord(
            id=task_id,
            name=name,
            display_name=display,
            template=params.template,
            preset=params.preset,
            parameters=result.resolved,
            prompt=params.prompt,
            status=TaskStatus.PENDING,
            workspace=new_workspace(provider, task_id, self._owners.me()),
            agent_type=spec.template.agent.type,
            created_at=now,
            updated_at=now,
        )
        await self._store.insert_task(record)
        created = await self._lifecycle.resolve(record.id)  # as stored, before it moves on
        await self._announcer.changed(record.id)
        self._lifecycle.start_new(created, progress)
        return created

    async def _name(self, params: TasksCreateParams) -> tuple[str, str]:
        if params.name:
            return params.name, params.display_name or params.name

        async def taken(candidate: str) -> bool:
            return await self._store.get_task(candidate) is not None

        generated = await self._names.generate(self._secrets.redactor(params.prompt), taken)
        return generated.name, params.display_name or generated.display_name
