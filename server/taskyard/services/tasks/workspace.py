"""The bridge between a task's template and its workspace: what to start, and what it became.

Pure helpers for :mod:`.tasks`: the :class:`WorkspaceSpec` a template renders to (secrets
resolved here, at start, and never stored), and how a workspace record is corrected after the
sidecar finds it in a different state than recorded.
"""

from __future__ import annotations

from typing import Any

import attrs

from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord
from taskyard.services.templates import TemplateCatalog
from taskyard.workspaces.base import WorkspaceSpec

from .status import derive_status


async def workspace_spec(
    catalog: TemplateCatalog, secrets: SecretStore, record: TaskRecord, source_repo: str | None
) -> WorkspaceSpec:
    """The template rendered with the task's parameter values, its secrets resolved."""
    spec = catalog.spec(record.template).render(record.parameters)
    tpl = spec.template
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
    )


def reconciled(workspace: dict[str, Any], reality: str) -> tuple[dict[str, Any], str, Any]:
    """(workspace, status, error) for a workspace recorded as up that is not, in fact, running.

    A stopped bridge left its state file: the task is honestly paused and can be resumed. A
    vanished folder or a start-up cut short is an error the user can retry by resuming.
    """
    ws = {**workspace, "status": "stopped" if reality == "stopped" else "failed", "pid": None}
    error = None
    if reality != "stopped":
        error = {"kind": "workspaceFailure", "message": "the workspace disappeared"}
    if workspace.get("status") in ("creating", "starting"):
        ws["status"] = "failed"
        error = {
            "kind": "workspaceFailure",
            "message": "start-up was interrupted (the sidecar stopped); resume to retry",
        }
    return ws, derive_status(ws["status"], "lost", None), error
