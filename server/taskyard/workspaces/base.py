"""What a workspace provider is: the place one task's agent runs, with its bridge inside.

A workspace moves through the phases of the task lifecycle (:mod:`taskyard.lifecycle`); the
engine owns that state machine and calls a provider for each step that touches the world
(create, start, stop, delete, inspect). A provider keeps its own record of the workspace (ids,
paths, the bridge's URL) as a JSON dict the engine stores without reading, and never decides
a phase. Providers implement :class:`WorkspaceProvider`; the engine never knows which one it
has.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

import attrs

from taskyard.lifecycle import Presence

from .bridge_client import BridgeClient

LogSink = Callable[[str, str], None]
"""``log(stream, text)``: a start-up log line (stream is ``build``, ``startup`` or ``agent``)."""

WorkspaceData = dict[str, Any]
"""The provider's own record of a workspace (JSON); ``id`` is always the task's id."""


@attrs.define(kw_only=True)
class WorkspaceSpec:
    """Everything a provider needs to start (or restart) a task's workspace and agent."""

    task_id: str
    agent_type: str
    argv: list[str]
    """The agent's command line; empty means the bridge adapter's default."""
    env: dict[str, str]
    """The agent's environment, secrets resolved (never stored, never logged)."""
    initial_prompt: str
    setup_script: str = ""
    repo: str = "worktree"
    source_repo: str | None = None
    image: str | None = None
    dockerfile: str | None = None
    workdir: str | None = None
    resources: dict[str, Any] = attrs.Factory(dict)
    preview_port: int | None = None
    idle_timeout: float | None = None
    """Seconds the agent may sit idle before its bridge pauses the workspace (None: never)."""


def agent_args(spec: WorkspaceSpec) -> list[str]:
    """The bridge's arguments about the agent, last on its command line in every provider:
    its session, the initial prompt, the idle timeout, then ``--`` and the agent's command."""
    args = ["--session-id", spec.task_id]
    if spec.initial_prompt:
        args += ["--initial-prompt", spec.initial_prompt]
    if spec.idle_timeout:
        args += ["--idle-timeout", f"{spec.idle_timeout:g}"]
    return [*args, "--", *spec.argv]


@attrs.frozen
class WorkFolder:
    """A task's work folder as files on this machine (see :meth:`WorkspaceProvider.work_folder`)."""

    path: Path
    copy: bool
    """Whether ``path`` is a private copy (of a container's folder), not the folder itself."""


class WorkspaceProvider(Protocol):
    """A place to run tasks (a local folder, a container)."""

    name: str

    async def create(self, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        """Make the workspace, run its setup, start the bridge; returns its record. A create
        that fails (or is cancelled) removes what it made before it raises."""

    async def start(self, data: WorkspaceData, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        """Start a stopped workspace again; the bridge resumes the agent's session."""

    async def stop(self, data: WorkspaceData, grace: float) -> WorkspaceData:
        """Stop the bridge (it saves its state) and the agent; keeps every file."""

    async def delete(self, data: WorkspaceData, *, keep_work: bool = False) -> str | None:
        """Remove the workspace and everything in it; with ``keep_work`` the work folder is
        kept on the host instead, and its path returned."""

    async def inspect(self, data: WorkspaceData) -> Presence:
        """What really exists now: a running bridge, a stopped workspace, or nothing."""

    async def saved_state(self, data: WorkspaceData) -> dict[str, Any] | None:
        """The bridge's state file (its conversation) as it last saved it, when readable: how
        a task that no Taskyard process followed catches up once its bridge has stopped."""

    def client(self, data: WorkspaceData) -> BridgeClient:
        """A client of the workspace's bridge."""

    def work_folder(self, data: WorkspaceData) -> AbstractAsyncContextManager[WorkFolder]:
        """The work folder's files on this machine while the context lasts, whether the
        workspace runs or is stopped; only for reading (a copy may be thrown away after).
        """
