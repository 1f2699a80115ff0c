"""The Docker engine as Taskyard uses it: one client, every call off the event loop, every
failure translated in one place.

The docker SDK is synchronous, so each interaction is a plain function of the client run on a
worker thread (:meth:`DockerEngine.call`); several SDK calls that belong together go in one
function, which keeps thread hops (and latency) low. Whatever the SDK raises becomes a
:class:`~taskyard.workspaces.base.WorkspaceFailureError` in :func:`translate`, with a message that
says what Taskyard was doing and what the engine answered.

The client comes from ``docker.from_env()``: ``DOCKER_HOST`` (unix, tcp, ssh),
``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH`` are honoured, so a remote engine works the same
way. It is made on first use, not at construction, because making it already asks the engine
for its API version; a failed attempt is not cached, so an engine started later is found.

Taskyard's objects carry labels, and are found by them, never by guessing names:

=========================  ========================================================
``dev.taskyard.managed``   ``true`` on every container and volume Taskyard made
``dev.taskyard.task``      the task id it belongs to
``dev.taskyard.role``      ``workspace`` (container), ``home`` or ``work`` (volumes)
=========================  ========================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import tarfile
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import docker.errors

import docker
from taskyard.errors import WorkspaceFailureError

T = TypeVar("T")

LABEL_MANAGED = "dev.taskyard.managed"
LABEL_TASK = "dev.taskyard.task"
LABEL_ROLE = "dev.taskyard.role"
LABEL_HOME = "dev.taskyard.home"

AGENT_UID = 1000
"""The user (and group) every workspace container runs as; the default image's ``agent``."""


def engine_address() -> str:
    """Where the client looks for the engine, for messages."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def translate(exc: BaseException, doing: str) -> WorkspaceFailureError:
    """The one place docker and transport errors become :class:`WorkspaceFailureError`.

    ``doing`` completes "while …" in the message (``"starting the container"``).
    """
    detail = str(exc)
    if isinstance(exc, docker.errors.ImageNotFound):
        return WorkspaceFailureError(f"{doing}: image not found ({_explanation(exc)})", detail)
    if isinstance(exc, docker.errors.NotFound):
        return WorkspaceFailureError(f"{doing}: {_explanation(exc)}", detail)
    if isinstance(exc, docker.errors.APIError):
        if exc.response is not None and exc.response.status_code == 409:
            return WorkspaceFailureError(f"{doing}: conflict: {_explanation(exc)}", detail)
        return WorkspaceFailureError(
            f"{doing}: the Docker engine refused: {_explanation(exc)}", detail
        )
    # Without an engine, docker-py fails while fetching the API version (a DockerException);
    # an engine that goes away later surfaces as a requests error, which is an OSError.
    if isinstance(exc, docker.errors.DockerException | OSError):
        text = detail.lower()
        if "timed out" in text or "timeout" in text:
            return WorkspaceFailureError(
                f"{doing}: the Docker engine at {engine_address()} did not answer in time", detail
            )
        return WorkspaceFailureError(
            f"the Docker engine does not answer at {engine_address()} ({doing}); start it "
            "(tools/docker-setup.sh does) or point DOCKER_HOST at a running one",
            detail,
        )
    return WorkspaceFailureError(f"{doing}: {type(exc).__name__}: {exc}", detail)


def _explanation(exc: docker.errors.APIError) -> str:
    text = exc.explanation
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return str(text or exc).strip()


class DockerEngine:
    """A lazily made docker client and the way to call it without blocking the loop."""

    def __init__(self, *, timeout: float = 60.0, factory: Callable[[], Any] | None = None) -> None:
        self._timeout = timeout
        self._factory = factory or (lambda: docker.from_env(timeout=int(timeout)))
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        """The ``docker.DockerClient``; raises :class:`WorkspaceFailureError` without an engine."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    failure = None
                    try:
                        self._client = await asyncio.to_thread(self._factory)
                    except (docker.errors.DockerException, OSError) as exc:
                        failure = translate(exc, "connecting to the Docker engine")
                    if failure is not None:
                        raise failure
        return self._client

    async def call(self, doing: str, fn: Callable[[Any], T]) -> T:
        """``fn(client)`` on a worker thread; its docker errors translated."""
        client = await self.client()
        try:
            return await asyncio.to_thread(fn, client)
        except (docker.errors.DockerException, OSError) as exc:
            failure = translate(exc, doing)
        # Raised outside the handler, the failure does not chain the SDK's exception, whose
        # traceback would keep its sockets (and whatever else its frames hold) alive.
        raise failure

    async def ping(self, within: float = 3.0) -> bool:
        """Whether an engine answers within ``within`` seconds (never raises).

        For choosing a provider at start-up: an unreachable ``DOCKER_HOST`` must not hold the
        sidecar for the client's whole timeout. A probe still running when the time is up ends
        on its worker thread; its client is not kept.
        """
        try:
            ping = self.call("pinging the engine", lambda c: c.ping())
            return bool(await asyncio.wait_for(ping, within))
        except (WorkspaceFailureError, TimeoutError):
            return False

    async def version(self, within: float = 3.0) -> str | None:
        """The engine's version when it answers within ``within`` seconds, else None."""
        try:
            probe = self.call("asking the engine its version", lambda c: c.version())
            answer = await asyncio.wait_for(probe, within)
        except (WorkspaceFailureError, TimeoutError):
            return None
        return str(answer.get("Version") or "unknown")

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await asyncio.to_thread(client.close)


# -- finding Taskyard's objects -------------------------------------------------------------------


def task_filter(task_id: str | None = None) -> dict[str, list[str]]:
    """Label filters for Taskyard's objects, or one task's."""
    labels = [f"{LABEL_MANAGED}=true"]
    if task_id is not None:
        labels.append(f"{LABEL_TASK}={task_id}")
    return {"label": labels}


def find_container(client: Any, task_id: str) -> Any | None:
    """The task's container (any state), or None; blocking. A passing reader of its work
    volume (role ``reader``) is not it."""
    filters = task_filter(task_id)
    filters["label"].append(f"{LABEL_ROLE}=workspace")
    found = client.containers.list(all=True, filters=filters)
    return found[0] if found else None


def find_volumes(client: Any, task_id: str) -> list[Any]:
    """The task's volumes; blocking."""
    return list(client.volumes.list(filters=task_filter(task_id)))


# -- files into containers ------------------------------------------------------------------------


def tar_of(entries: list[tuple[str, bytes | None, int]]) -> bytes:
    """A tar of ``(path, content or None for a folder, mode)``, every entry owned by the agent.

    ``put_archive`` keeps the owner written here, so files land as the agent's without a chown
    (which a non-root, capability-less container could not do itself).
    """
    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, content, mode in entries:
            info = tarfile.TarInfo(path.lstrip("/"))
            info.uid = info.gid = AGENT_UID
            info.uname = info.gname = "agent"
            info.mode = mode
            info.mtime = int(now)
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


# -- output streams -------------------------------------------------------------------------------


class OutputFollower:
    """Feeds a container's output, line by line, from a worker thread into an asyncio queue.

    Attach before the container starts so no early line is missed; :meth:`close` ends the
    stream (the thread sees it end and exits). ``None`` in the queue marks the end.
    """

    def __init__(self, stream: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        self._loop = loop
        self._thread = threading.Thread(target=self._pump, name="docker-output", daemon=True)

    @classmethod
    async def attach(cls, engine: DockerEngine, container: Any) -> OutputFollower:
        stream = await engine.call(
            "attaching to the container's output",
            lambda _: container.attach(stdout=True, stderr=True, stream=True, logs=False),
        )
        follower = cls(stream, asyncio.get_running_loop())
        follower._thread.start()
        return follower

    def _pump(self) -> None:
        pending = b""
        # A closed or broken stream simply ends the output.
        with contextlib.suppress(Exception):
            for chunk in self._stream:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._emit(line.decode(errors="replace").rstrip("\r"))
        if pending:
            self._emit(pending.decode(errors="replace"))
        self._emit(None)

    def _close_stream(self) -> None:
        # CancellableStream.close() shuts the socket down, but the HTTP response still holds a
        # file on it, so the descriptor only goes once the response is closed as well.
        with contextlib.suppress(Exception):  # closing an already dead stream is fine
            self._stream.close()
        response = getattr(self._stream, "_response", None)
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()

    def _emit(self, line: str | None) -> None:
        # The loop may have closed while the container still talked.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.lines.put_nowait, line)

    async def close(self) -> None:
        await asyncio.to_thread(self._close_stream)
        await asyncio.to_thread(self._thread.join, 5.0)
