"""The sidecar: a pygls server that the editor starts over stdio.

It owns the services (built by :mod:`taskyard.app` once the client is initialized, with the
client's workspace folder), registers the JSON-RPC handlers (:mod:`taskyard.handlers`), and is
the one place service events turn into notifications (:class:`Notifier`). Background failures
are logged, never popped up as "Error in server" messages (docs/CONTRIBUTING.md, "Errors").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from taskyard import __version__
from taskyard.app import Services, build_services
from taskyard.protocol import (
    TASKS_DID_CHANGE,
    TASKS_DID_DELETE,
    TASKS_LOG_DID_APPEND,
    TASKS_MESSAGE_DID_CHANGE,
    TEMPLATES_DID_CHANGE,
    LogLine,
    SidecarSettings,
    Task,
    TaskIdentity,
    TaskMessage,
    TasksDidChangeParams,
    TasksLogDidAppendParams,
    TasksMessageDidChangeParams,
    TemplateCatalog,
    WireError,
    structure,
    unstructure,
)
from taskyard.protocol.envelopes import make_converter
from taskyard.rpc import TaskyardProtocol

log = logging.getLogger(__name__)


class Notifier:
    """Service events → ``taskyard/*/did*`` notifications (full snapshots keyed by id)."""

    def __init__(self, server: TaskyardServer) -> None:
        self._server = server

    def _notify(self, method: str, params: Any) -> None:
        self._server.protocol.notify(method, unstructure(params))

    def task_changed(self, task: Task) -> None:
        self._notify(TASKS_DID_CHANGE, TasksDidChangeParams(task=task))

    def task_deleted(self, task_id: str, name: str) -> None:
        self._notify(TASKS_DID_DELETE, TaskIdentity(id=task_id, name=name))

    def message_changed(self, task_id: str, message: TaskMessage) -> None:
        self._notify(
            TASKS_MESSAGE_DID_CHANGE,
            TasksMessageDidChangeParams(task_id=task_id, message=message),
        )

    def log_appended(self, task_id: str, lines: list[LogLine]) -> None:
        self._notify(TASKS_LOG_DID_APPEND, TasksLogDidAppendParams(task_id=task_id, lines=lines))

    def templates_changed(self, templates: Any, diagnostics: Any) -> None:
        self._notify(
            TEMPLATES_DID_CHANGE,
            TemplateCatalog(templates=templates, diagnostics=diagnostics),
        )


class TaskyardServer(LanguageServer):
    """The sidecar's server object; handlers reach the services through :attr:`services`."""

    def __init__(self) -> None:
        super().__init__(
            "taskyard", __version__, protocol_cls=TaskyardProtocol, converter_factory=make_converter
        )
        self.notifier = Notifier(self)
        self._services: Services | None = None
        self._ready: asyncio.Future[Services] | None = None
        self.workspace_root: Path | None = None
        self.settings = SidecarSettings()

    async def services(self) -> Services:
        """The services, once the client has initialized (requests before that wait)."""
        if self._services is not None:
            return self._services
        return await self._ready_future()

    def _ready_future(self) -> asyncio.Future[Services]:
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    async def start_services(self, workspace: Path | None) -> None:
        try:
            self._services = await build_services(
                self.notifier,
                workspace=workspace,
                on_templates=self.notifier.templates_changed,
                settings=self.settings,
            )
        except Exception as exc:
            log.exception("could not start the Taskyard services")
            self._ready_future().set_exception(exc)
            return
        self._ready_future().set_result(self._services)
        log.info("taskyard %s ready (workspace %s)", __version__, workspace or "none")

    async def stop_services(self) -> None:
        if self._services is not None:
            await self._services.close()
            self._services = None

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Answered request errors are expected outcomes (bad input, unknown task): the client
        # already got them, so they are not the editor's "Error in server" popup material.
        expected = isinstance(error, JsonRpcException) and error.code != -32603
        level = logging.INFO if expected else logging.ERROR
        log.log(level, "request failed (%s): %s", getattr(source, "__name__", source), error)


def workspace_of(params: types.InitializeParams) -> Path | None:
    folders = params.workspace_folders or []
    uri = folders[0].uri if folders else params.root_uri
    if uri and uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    return Path(params.root_path) if params.root_path else None


def settings_of(raw: Any) -> SidecarSettings | None:
    """The editor's settings, or None (logged) when they do not fit :class:`SidecarSettings`.

    A notification cannot answer with an error, and a bad setting must not stop the sidecar:
    the previous settings stay in force and the log says which field was wrong.
    """
    if raw is None:
        return None
    try:
        return structure(raw, SidecarSettings)
    except WireError as exc:
        log.warning("ignoring invalid Taskyard settings: %s", "; ".join(exc.errors))
        return None


def create_server(setup: Callable[[TaskyardServer], None] | None = None) -> TaskyardServer:
    from taskyard.handlers import register

    # pygls logs every message body at INFO: prompts and replies do not belong in the log.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    server = TaskyardServer()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TaskyardServer, _: types.InitializedParams) -> None:
        await ls.start_services(ls.workspace_root)

    @server.feature(types.INITIALIZE)
    def initialize(ls: TaskyardServer, params: types.InitializeParams) -> None:
        ls.workspace_root = workspace_of(params)
        ls.settings = settings_of(params.initialization_options) or ls.settings

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration(ls: TaskyardServer, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        settings = settings_of(raw.get("taskyard", raw) if isinstance(raw, dict) else raw)
        if settings is not None:
            ls.settings = settings
            await (await ls.services()).apply_settings(settings)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: TaskyardServer, _: Any) -> None:
        await ls.stop_services()

    register(server)
    if setup is not None:
        setup(server)
    return server
