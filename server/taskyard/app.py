"""The composition root: builds the services once, for the sidecar and the CLI alike.

Nothing else constructs collaborators: services receive theirs here (store, catalog, secret
store, name generator, workspace providers), which keeps every service testable on its own.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import attrs
import httpx

from taskyard.services.names import NameGenerator
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskStore
from taskyard.services.tasks import TaskEvents, TaskService
from taskyard.services.templates import TemplateCatalog, default_folders
from taskyard.workspaces.base import WorkspaceProvider
from taskyard.workspaces.bridge_client import close_shared_client
from taskyard.workspaces.docker_provider import DockerProvider
from taskyard.workspaces.local import LocalProvider


def data_dir() -> Path:
    """Where Taskyard keeps its database and workspaces (``TASKYARD_DATA_DIR`` overrides)."""
    explicit = os.environ.get("TASKYARD_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "taskyard"


@attrs.define
class Services:
    """Everything the protocol layer and the CLI call into."""

    store: TaskStore
    catalog: TemplateCatalog
    secrets: SecretStore
    tasks: TaskService
    http: httpx.AsyncClient
    docker: DockerProvider | None = None
    """The Docker provider when an engine answered at start-up, else None."""

    async def close(self) -> None:
        await self.tasks.close()
        await self.catalog.close()
        await self.store.close()
        await self.http.aclose()
        if self.docker is not None:
            await self.docker.engine.close()
        await close_shared_client()


async def build_services(
    events: TaskEvents,
    *,
    workspace: Path | None = None,
    watch: bool = True,
    on_templates: object = None,
) -> Services:
    """Open the store, load templates, reattach running tasks."""
    root = data_dir()
    store = TaskStore(root / "taskyard.db")
    await store.open()
    catalog = TemplateCatalog(default_folders(workspace), on_change=on_templates)  # type: ignore[arg-type]
    await catalog.load()
    if watch:
        await catalog.watch()
    secrets = SecretStore()
    http = httpx.AsyncClient()
    names = NameGenerator(http, lambda: secrets.get_optional("anthropic-api-key"), random.Random())
    providers: dict[str, WorkspaceProvider] = {"local": LocalProvider(root / "workspaces")}
    docker = await docker_provider(root)
    if docker is not None:
        providers["docker"] = docker
    repo = str(workspace) if workspace and (workspace / ".git").exists() else None
    tasks = TaskService(
        store=store,
        catalog=catalog,
        secrets=secrets,
        names=names,
        providers=providers,
        events=events,
        source_repo=repo,
    )
    await tasks.start(watch=watch)
    return Services(
        store=store, catalog=catalog, secrets=secrets, tasks=tasks, http=http, docker=docker
    )


async def docker_provider(root: Path) -> DockerProvider | None:
    """The Docker provider when an engine answers (``TASKYARD_DOCKER=0`` turns it off)."""
    if os.environ.get("TASKYARD_DOCKER") == "0":
        return None
    docker = DockerProvider(root / "docker")
    if await docker.engine.ping():
        return docker
    await docker.engine.close()
    return None
