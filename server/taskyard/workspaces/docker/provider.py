"""The Docker provider: one hardened container per task, its bridge the container's main process.

The container's anatomy (image, user, volumes, files, ports, labels, limits) is drawn in
:mod:`.docker_container`; this module drives it through the workspace state machine of
:mod:`.base`. What each transition does to the engine::

    creating   image resolved (pulled or built, ``build`` log); volumes and container created
       │       (``startup`` log); the token made on the host (0600, ``<root>/<task>/token``)
    starting   the bridge, entry script, setup script and token put into /opt/taskyard; the
       │       container started with its output attached; lines go to the log as ``startup``
       │       until the bridge starts, then ``agent``; ready when the bridge says it serves
    running    the bridge answers on 127.0.0.1:<published port> (``bridge_url``)
       │
    stopping   ``docker stop`` with a grace period: SIGINT first (the container's stop signal,
       │       forwarded by docker-init), so the bridge saves its state file and ends the agent;
       │       SIGKILL only when the grace runs out
    stopped    container exited; volumes and files kept. Starting again goes back to
               ``starting`` on the same container (or a new one on the same volumes if it was
               removed): the bridge reloads its state and resumes the agent's own session, and
               never re-sends the initial prompt (the state file says it was sent)
    failed     any step failed: a failed create removes everything it made; a failed start
               stops the container but keeps the volumes (they hold the conversation)
    deleted    container, volumes and the host folder removed

Nothing blocks the event loop (every SDK call runs in :meth:`DockerEngine.call`) and every
engine error arrives as a :class:`WorkspaceFailureError` that says what was being done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs

from taskyard.bridge.zipapp import ensure_zipapp
from taskyard.errors import WorkspaceFailureError
from taskyard.lifecycle import Presence
from taskyard.workspaces.base import (
    LogSink,
    WorkFolder,
    WorkspaceData,
    WorkspaceSpec,
)
from taskyard.workspaces.bridge_client import BridgeClient

from .archive import copied_work, saved_state
from .bundle import BridgeBundle, ensure_volume, make_bundle
from .container import (
    BRIDGE_MARKER,
    BRIDGE_PORT,
    STATE_DIR,
    DockerOptions,
    container_name,
    create_kwargs,
    explain_exit,
    files_tar_entries,
    labels,
    remote_host,
    volume_names,
    workdir,
)
from .engine import (
    DockerEngine,
    OutputFollower,
    engine_address,
    find_container,
    find_volumes,
    tar_of,
)
from .images import resolve_image
from .seed import seed_work

log = logging.getLogger(__name__)

# The bridge's "serving <type> agent on http://<host>:<port>" line: it is listening.
_SERVING = re.compile(r"serving \S+ agent on http://\S+:(\d+)")


class DockerProvider:
    """Workspaces as containers; see the module docstring for the state machine."""

    name = "docker"

    def __init__(
        self,
        root: Path,
        *,
        options: DockerOptions | None = None,
        engine: DockerEngine | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.root = root
        self.options = options or DockerOptions()
        if not self.options.home:
            self.options = attrs.evolve(self.options, home=str(root.absolute()))
        if not self.options.engine_host:
            self.options = attrs.evolve(self.options, engine_host=remote_host(engine_address()))
        self.engine = engine or DockerEngine()
        self._cache_dir = cache_dir or root / "cache"
        self._bridge: BridgeBundle | None = None
        self._bundle_ready = False
        self._bundle_lock = asyncio.Lock()
        self._cpus: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def create(self, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        runtime = self.root / spec.task_id
        runtime.mkdir(parents=True, exist_ok=True)
        os.chmod(runtime, 0o700)
        _token(runtime)
        data: WorkspaceData = {
            "id": spec.task_id,
            "container": container_name(spec.task_id),
            "volumes": volume_names(spec.task_id),
            "path": f"{container_name(spec.task_id)}:{workdir(spec)}",
            "runtime": str(runtime),
            "network": self.options.network,
        }
        try:
            data.update(await self._ensure_container(spec, log))
            return await self._start(data, spec, log)
        except (WorkspaceFailureError, asyncio.CancelledError):
            # A task that never came up leaves nothing behind; its logs say why.
            with contextlib.suppress(WorkspaceFailureError):
                await self._remove(spec.task_id)
            await asyncio.to_thread(shutil.rmtree, runtime, True)
            raise

    async def start(self, data: WorkspaceData, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        runtime = Path(data.get("runtime") or self.root / spec.task_id)
        runtime.mkdir(parents=True, exist_ok=True)
        _token(runtime)
        data = {**data, "runtime": str(runtime)}
        data.update(await self._ensure_container(spec, log))
        try:
            return await self._start(data, spec, log)
        except (WorkspaceFailureError, asyncio.CancelledError):
            with contextlib.suppress(WorkspaceFailureError):
                await self._halt(spec.task_id, grace=2.0)
            raise

    async def stop(self, data: WorkspaceData, grace: float) -> WorkspaceData:
        await self._halt(str(data["id"]), grace)
        return {**data, "bridge_url": None, "preview_url": None}

    async def delete(self, data: WorkspaceData, *, keep_work: bool = False) -> str | None:
        kept = await self._keep_work(data) if keep_work else None
        await self._remove(str(data["id"]))
        runtime = Path(data.get("runtime") or self.root / str(data["id"]))
        if runtime.parent == self.root:
            await asyncio.to_thread(shutil.rmtree, runtime, True)
        return kept

    async def _keep_work(self, data: WorkspaceData) -> str:
        """The work folder copied to ``<root>/kept/<task id>`` before the volumes go (a bound
        folder is the user's own and simply stays). Fails, keeping everything, if it cannot."""
        async with self.work_folder(data) as work:
            if not work.copy:
                return str(work.path)
            kept = self.root / "kept" / str(data["id"])
            await asyncio.to_thread(shutil.rmtree, kept, True)
            kept.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.move, str(work.path), str(kept))
            return str(kept)

    async def inspect(self, data: WorkspaceData) -> Presence:
        task_id = str(data["id"])

        def look(client: Any) -> Presence:
            container = find_container(client, task_id)
            if container is not None:
                running = container.status == "running"
                return Presence.RUNNING if running else Presence.STOPPED
            # Without its container a task still resumes from its volumes.
            return Presence.STOPPED if find_volumes(client, task_id) else Presence.MISSING

        try:
            return await self.engine.call("inspecting the workspace", look)
        except WorkspaceFailureError as exc:
            # No engine: its containers are not running, and honestly paused is what is known.
            log.warning("task %s: %s", task_id, str(exc))
            return Presence.STOPPED

    async def saved_state(self, data: WorkspaceData) -> dict[str, Any] | None:
        """The bridge's state file, read out of the (stopped) container's home volume."""
        return await saved_state(self.engine, str(data["id"]), f"{STATE_DIR}/state.json")

    def client(self, data: WorkspaceData) -> BridgeClient:
        token = (Path(data["runtime"]) / "token").read_text().strip()
        return BridgeClient(data["bridge_url"], token)

    @contextlib.asynccontextmanager
    async def work_folder(self, data: WorkspaceData) -> AsyncIterator[WorkFolder]:
        """A bound folder as it is; else a copy out of the container, running or stopped."""
        if data.get("bind"):
            yield WorkFolder(Path(data["bind"]), copy=False)
            return
        folder = str(data.get("path") or "").partition(":")[2]
        if not folder:
            raise WorkspaceFailureError("the task's container is not made yet")
        async with copied_work(self.engine, str(data["id"]), folder) as work:
            yield work

    async def close(self) -> None:
        await self.engine.close()

    # -- steps -----------------------------------------------------------------------------

    async def _ensure_container(self, spec: WorkspaceSpec, log: LogSink) -> dict[str, Any]:
        """The task's container, created (with any missing volume) when there is none."""
        task_id = spec.task_id
        existing = await self.engine.call(
            "looking for the task's container", lambda c: find_container(c, task_id)
        )
        if existing is not None:
            image = existing.attrs["Config"]["Image"]
            bundle = await self._bundle_volume(image)
            mounts = {m.get("Name") for m in existing.attrs.get("Mounts") or []}
            if bundle.volume in mounts:
                return {"container_id": existing.id, "image": image}
            # Made by another version of the bridge: a new container on the same volumes.
            log("startup", "the agent bridge was updated; recreating the container")
            await self.engine.call("replacing the container", lambda _: existing.remove(force=True))
        image = await resolve_image(self.engine, spec, self.options.image, log)
        cpus = await self._engine_cpus()
        bundle = await self._bundle_volume(image)
        kwargs = create_kwargs(spec, self.options, image, cpus, (bundle.volume, bundle.folder))

        def make(client: Any) -> tuple[Any, bool]:
            have = {v.name for v in find_volumes(client, task_id)}
            for role, name in volume_names(task_id).items():
                if name not in have:
                    made = labels(task_id, role, self.options.home)
                    client.volumes.create(name=name, labels=made)
            fresh_work = volume_names(task_id)["work"] not in have
            return client.containers.create(**kwargs), fresh_work

        container, fresh_work = await self.engine.call("creating the container", make)
        log("startup", f"container {container.name} created from {image}")
        base: dict[str, Any] = {"container_id": container.id, "image": image}
        if fresh_work:
            base.update(await seed_work(self.engine, container, spec, log))
        return base

    async def _start(self, data: WorkspaceData, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        """Put the files in, start the container, wait for the bridge to serve."""
        task_id = spec.task_id
        token = (Path(data["runtime"]) / "token").read_text().strip()
        bundle = await self._bundle()
        files = tar_of(files_tar_entries(spec, bundle.folder, token))
        container = await self.engine.call(
            "copying the agent bridge into the container",
            lambda c: _put_files(c, task_id, files),
        )
        follower = await OutputFollower.attach(self.engine, container)
        try:
            started = time.monotonic()
            await self.engine.call("starting the container", lambda _: container.start())
            log("startup", "container started; waiting for the agent bridge")
            port = await self._wait_serving(container, follower, log, str(data.get("image")))
            reach = self.options.engine_host or "127.0.0.1"
            urls = await self.engine.call(
                "reading the published ports", lambda _: _published(container, spec, port, reach)
            )
        finally:
            await follower.close()
        log("startup", f"agent bridge ready at {urls['bridge_url']} ({_ms(started)} ms)")
        return {**data, **urls}

    async def _wait_serving(
        self, container: Any, follower: OutputFollower, log: LogSink, image: str
    ) -> int:
        """The bridge's port inside the container, once it serves; the reason if it ends."""
        lines: list[str] = []
        stream = "startup"
        deadline = asyncio.get_running_loop().time() + self.options.ready_timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                line = await asyncio.wait_for(follower.lines.get(), max(remaining, 0.01))
            except TimeoutError:
                await self.engine.call("stopping the container", lambda _: container.kill())
                raise WorkspaceFailureError(
                    f"the agent bridge did not start within {self.options.ready_timeout:g} s",
                    "\n".join(lines[-20:]),
                ) from None
            if line is None:
                break
            lines.append(line)
            if line == BRIDGE_MARKER:
                log("startup", line.removeprefix("taskyard: "))
                stream = "agent"
                continue
            log(stream, line.removeprefix("taskyard: "))
            match = _SERVING.search(line)
            if match:
                return int(match.group(1))
        # The output ended: the container exited (or the stream broke, then it is still up).
        code = await self.engine.call("waiting for the container", lambda _: _exit_code(container))
        if code is None:
            raise WorkspaceFailureError("lost the container's output before the bridge served")
        raise WorkspaceFailureError(explain_exit(code, lines, image), "\n".join(lines[-20:]))

    async def _halt(self, task_id: str, grace: float) -> None:
        def halt(client: Any) -> None:
            container = find_container(client, task_id)
            if container is not None and container.status in ("running", "restarting", "paused"):
                container.stop(timeout=max(round(grace), 1))

        await self.engine.call("stopping the container", halt)

    async def _remove(self, task_id: str) -> None:
        def remove(client: Any) -> None:
            container = find_container(client, task_id)
            if container is not None:
                container.remove(force=True)
            for volume in find_volumes(client, task_id):
                volume.remove(force=True)

        await self.engine.call("removing the workspace", remove)

    async def _bundle(self) -> BridgeBundle:
        """This sidecar's bridge, unpacked and compiled once per provider."""
        async with self._bundle_lock:
            if self._bridge is None:
                path = await asyncio.to_thread(ensure_zipapp, str(self._cache_dir))
                pyz = await asyncio.to_thread(Path(path).read_bytes)
                self._bridge = await asyncio.to_thread(make_bundle, pyz)
            return self._bridge

    async def _bundle_volume(self, image: str) -> BridgeBundle:
        """The bundle, its shared volume checked (and filled if needed) once per provider."""
        bundle = await self._bundle()
        async with self._bundle_lock:
            if not self._bundle_ready:
                await self.engine.call(
                    "installing the agent bridge", lambda c: ensure_volume(c, bundle, image)
                )
                self._bundle_ready = True
        return bundle

    async def _engine_cpus(self) -> int:
        if self._cpus is None:
            info = await self.engine.call("reading the engine's facts", lambda c: c.info())
            self._cpus = int(info.get("NCPU") or 1)
        return self._cpus


def _token(runtime: Path) -> None:
    """The task's bearer token, made once, readable only by this user."""
    path = runtime / "token"
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(32))


def _put_files(client: Any, task_id: str, files: bytes) -> Any:
    container = find_container(client, task_id)
    if container is None:
        raise WorkspaceFailureError("the task's container vanished while it was being started")
    container.put_archive("/", files)
    return container


def _exit_code(container: Any) -> int | None:
    """The exit code once the container has ended (None if it still runs after a while)."""
    try:
        result = container.wait(timeout=5)
    except OSError:  # the wait timed out: it still runs, only its output stream broke
        return None
    return int(result.get("StatusCode", -1))


def _published(container: Any, spec: WorkspaceSpec, port: int, host: str) -> dict[str, Any]:
    """``bridge_url`` (and ``preview_url``) as reachable from this machine, the engine's ports
    being on ``host``."""
    network = container.attrs["HostConfig"]["NetworkMode"]
    if network == "host":
        preview = spec.preview_port
        return {
            "bridge_url": f"http://{host}:{port}",
            "preview_url": f"http://{host}:{preview}" if preview else None,
        }
    container.reload()
    ports = container.attrs["NetworkSettings"]["Ports"] or {}

    def host_port(inner: int) -> int:
        bindings = ports.get(f"{inner}/tcp") or []
        if not bindings:
            raise WorkspaceFailureError(f"the engine published no host port for {inner}/tcp")
        return int(bindings[0]["HostPort"])

    preview = spec.preview_port
    return {
        "bridge_url": f"http://{host}:{host_port(BRIDGE_PORT)}",
        "preview_url": f"http://{host}:{host_port(preview)}" if preview else None,
    }


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)
