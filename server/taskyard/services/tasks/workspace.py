"""What a task's template asks of its workspace: the :class:`WorkspaceSpec` a provider starts.

The template is rendered with the task's parameter values and its secrets are resolved here,
at each start, and never stored (they are registered with the redactor instead).
"""

from __future__ import annotations

import attrs

from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord
from taskyard.services.templates import TemplateService
from taskyard.workspaces.base import WorkspaceSpec


async def workspace_spec(
    catalog: TemplateService,
    secrets: SecretStore,
    record: TaskRecord,
    source_repo: str | None,
    idle_minute: float = 60.0,
) -> WorkspaceSpec:
    """The template rendered with the task's parameter values, its secrets resolved."""
    spec = catalog.spec(record.template).render(record.parameters)
    tpl = spec.template
    idle = tpl.workspace.idle_timeout_minutes
    env = await secrets.resolve_env(spec.env_spec())
    for value in env.values():
        secrets.redactor.add(value)
    return WorkspaceSpec(
        task_id=record.id,
        agent_type=tpl.agent.type,
        argv=[*(spec.command or []), *tpl.agent.extra_args],
        env=env,
        initial_prompt=record.prompt,
        setup_script=tpl.workspace.setup_script or "",
        repo=tpl.workspace.repo,
        source_repo=source_repo,
        image=tpl.workspace.image,
        dockerfile=str(spec.dockerfile) if spec.dockerfile else None,
        workdir=tpl.workspace.workdir,
        resources={k: v for k, v in attrs.asdict(tpl.workspace.resources).items() if v is not None},
        preview_port=tpl.workspace.preview_port,
        idle_timeout=(None if idle is None else idle * idle_minute),
    )
