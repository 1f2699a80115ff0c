"""Which workspace providers exist, which can take new tasks now, and which one a task gets.

Both providers are always registered, so a Docker task made earlier is still managed (paused
honestly, resumed later) while its engine is down. Availability is separate: the local provider
always is; Docker is when its engine answers a ping, checked again at most every
:data:`RECHECK` seconds so an engine started after the sidecar is picked up without a restart.

A template's ``provider`` (``auto``, ``local``, ``docker``) is resolved with the editor's
``defaultProvider`` setting: ``auto`` follows the setting, and an ``auto`` setting means Docker
when its engine answers, local otherwise. Asking for Docker explicitly while it is unreachable
is an error that says how to fix it, never a silent fallback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from taskyard.errors import WorkspaceFailureError
from taskyard.protocol import ProviderInfo
from taskyard.workspaces.base import WorkspaceProvider
from taskyard.workspaces.docker.engine import engine_address
from taskyard.workspaces.docker.provider import DockerProvider

RECHECK = 10.0
"""Seconds an answer about the engine is trusted before asking it again."""


class ProviderSet:
    """The providers and their availability; see the module docstring."""

    def __init__(
        self,
        local: WorkspaceProvider,
        docker: DockerProvider,
        *,
        docker_enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.all: dict[str, WorkspaceProvider] = {"local": local, "docker": docker}
        self.docker = docker
        self.docker_enabled = docker_enabled
        self.default = "auto"
        """The editor's ``defaultProvider`` setting."""
        self._clock = clock
        self._checked: tuple[float, str | None] | None = None
        """(when, the engine's version or None when it did not answer)."""

    async def docker_version(self) -> str | None:
        """The engine's version when it answers (cached for :data:`RECHECK` s), else None."""
        if not self.docker_enabled:
            return None
        now = self._clock()
        if self._checked is None or now - self._checked[0] > RECHECK:
            self._checked = (now, await self.docker.engine.version())
        return self._checked[1]

    async def choose(self, wanted: str) -> str:
        """The provider for a new task whose template asks for ``wanted``."""
        choice = self.default if wanted == "auto" else wanted
        docker = await self.docker_version() is not None
        if choice == "auto":
            return "docker" if docker else "local"
        if choice == "docker" and not docker:
            raise WorkspaceFailureError(f"Docker workspaces are unavailable: {self._why_not()}")
        return choice

    async def info(self, local_root: Path) -> tuple[list[ProviderInfo], str]:
        """Every provider with its availability, and where an ``auto`` template runs now."""
        version = await self.docker_version()
        up = version is not None
        detail = f"engine {version} at {engine_address()}" if up else self._why_not()
        docker = ProviderInfo(name="docker", available=up, detail=detail)
        local = ProviderInfo(
            name="local",
            available=True,
            detail=f"processes on this machine, work folders under {local_root}",
        )
        default = self.default if self.default != "auto" else ("docker" if version else "local")
        return [local, docker], default

    def _why_not(self) -> str:
        if not self.docker_enabled:
            return "turned off by TASKYARD_DOCKER=0 in the sidecar's environment"
        return (
            f"no Docker engine answers at {engine_address()}: start it (sudo systemctl start "
            "docker, or tools/docker-setup.sh) or point DOCKER_HOST at one"
        )


def docker_enabled() -> bool:
    """``TASKYARD_DOCKER=0`` keeps every new task local (tests, machines without Docker)."""
    return os.environ.get("TASKYARD_DOCKER") != "0"
