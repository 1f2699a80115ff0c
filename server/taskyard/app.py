"""The composition root: builds the services once, for the sidecar and the CLI alike.

Nothing else constructs collaborators: services receive theirs here (store, catalog, secret
store, name generator, workspace providers), which keeps every service testable on its own.
The editor's settings (:class:`SidecarSettings`) are applied here too: they change where new
tasks run and which template folders are read, never a running task.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import attrs
import httpx

from taskyard import __version__
from taskyard.protocol import ServerInfo, SidecarSettings
from taskyard.services.codeout import CodeOutService
from taskyard.services.names import NameGenerator
from taskyard.services.providers import ProviderSet, docker_enabled
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskStore
from taskyard.services.tasks import TaskEvents, TaskService, build_engine
from taskyard.services.templates import (
    TemplateFolder,
    TemplateService,
    default_folders,
)
from taskyard.workspaces.bridge_client import close_shared_client
from taskyard.workspaces.docker.provider import DockerProvider
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
    catalog: TemplateService
    secrets: SecretStore
    tasks: TaskService
    code: CodeOutService
    """A task's work out of its workspace: diff and export-branch."""
    http: httpx.AsyncClient
    providers: ProviderSet
    root: Path
    workspace: Path | None = None
    settings: SidecarSettings = attrs.Factory(SidecarSettings)

    async def apply_settings(self, settings: SidecarSettings) -> None:
        """Use the editor's settings from now on (running tasks are not touched)."""
        self.providers.default = settings.default_provider
        if settings.template_folders != self.settings.template_folders:
            await self.catalog.set_folders(template_folders(self.workspace, settings))
        self.settings = settings

    async def info(self) -> ServerInfo:
        providers, default = await self.providers.info(self.root / "workspaces")
        return ServerInfo(
            version=__version__,
            data_dir=str(self.root),
            providers=providers,
            default_provider=default,  # type: ignore[arg-type]
            template_folders=[str(f.path) for f in reversed(self.catalog.folders)],
            repository=self.tasks.source_repo,
            settings=self.settings,
        )

    async def close(self) -> None:
        await self.tasks.close()
        await self.catalog.close()
        await self.store.close()
        await self.http.aclose()
        await self.providers.docker.close()
        await close_shared_client()


def template_folders(workspace: Path | None, settings: SidecarSettings) -> list[TemplateFolder]:
    """Built-in, user, the settings' extra folders, then the workspace's own (last wins)."""
    folders = default_folders(workspace)
    where = workspace or Path.cwd()
    extra = [TemplateFolder(where / p, "user") for p in settings.template_folders or []]
    split = 2  # after built-in and user: a workspace's own templates still take precedence
    return [*folders[:split], *extra, *folders[split:]]


async def build_services(
    events: TaskEvents,
    *,
    workspace: Path | None = None,
    watch: bool = True,
    on_templates: object = None,
    settings: SidecarSettings | None = None,
) -> Services:
    """Open the store, load templates, reconcile every task that is up or mid-step.

    ``TASKYARD_IDLE_MINUTE_SECONDS`` shortens the minutes of a template's
    ``idle_timeout_minutes`` (tests); each task's bridge pauses itself when idle that long.
    """
    settings = settings or SidecarSettings()
    root = data_dir()
    store = TaskStore(root / "taskyard.db")
    await store.open()
    folders = template_folders(workspace, settings)
    catalog = TemplateService(folders, on_change=on_templates)  # type: ignore[arg-type]
    await catalog.load()
    if watch:
        await catalog.watch()
    secrets = SecretStore()
    http = httpx.AsyncClient()
    names = NameGenerator(http, lambda: secrets.get_optional("anthropic-api-key"), random.Random())
    providers = ProviderSet(
        LocalProvider(root / "workspaces"),
        DockerProvider(root / "docker"),
        docker_enabled=docker_enabled(),
    )
    providers.default = settings.default_provider
    repo = str(workspace) if workspace and (workspace / ".git").exists() else None
    tasks = build_engine(
        store=store,
        catalog=catalog,
        secrets=secrets,
        names=names,
        providers=providers.all,
        events=events,
        source_repo=repo,
        choose_provider=providers.choose,
        idle_minute=float(os.environ.get("TASKYARD_IDLE_MINUTE_SECONDS") or 60),
    )
    await tasks.start(watch=watch)
    return Services(
        store=store,
        catalog=catalog,
        secrets=secrets,
        tasks=tasks,
        code=CodeOutService(store=store, providers=providers.all, source_repo=repo),
        http=http,
        providers=providers,
        root=root,
        workspace=workspace,
        settings=settings,
    )
