"""Which image a task's container runs, and getting it onto the engine.

A template names an image or a Dockerfile. A named image is used when the engine has it, else
pulled (this fails fast and plainly where no registry is reachable). A Dockerfile is built with
the engine's classic builder (the SDK's ``images.build``; Debian's engine has no BuildKit),
its folder as the context, and cached by content: the tag is ``taskyard-template:<hash of the
context>``, so an unchanged Dockerfile is never rebuilt. Pull progress and build output go to
the ``build`` log stream as they come.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors
import docker.utils

from taskyard.errors import WorkspaceFailureError
from taskyard.workspaces.base import LogSink, WorkspaceSpec

from .container import DEFAULT_IMAGE
from .engine import LABEL_MANAGED, DockerEngine

BUILT_REPOSITORY = "taskyard-template"


async def resolve_image(
    engine: DockerEngine, spec: WorkspaceSpec, default: str, log: LogSink
) -> str:
    """The image to run for ``spec``, present on the engine (pulled or built when needed)."""
    if spec.dockerfile:
        return await build_dockerfile(engine, Path(spec.dockerfile), log)
    name = spec.image or default
    if await engine.call(f"looking up the image {name}", lambda c: _present(c, name)):
        return name
    await _pull(engine, name, log)
    return name


def _present(client: Any, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


async def _pull(engine: DockerEngine, name: str, log: LogSink) -> None:
    log("build", f"the image {name} is not on this engine; pulling it")
    repository, tag = docker.utils.parse_repository_tag(name)
    reported: set[str] = set()

    def on_item(item: dict[str, Any]) -> str | None:
        status = str(item.get("status", ""))
        # Per-layer byte counters would flood the log: one line per distinct status is enough.
        if status and status not in reported and "Downloading" not in status:
            reported.add(status)
            return f"{item.get('id', '')} {status}".strip()
        return None

    def pull(client: Any) -> Iterator[dict[str, Any]]:
        return client.api.pull(repository, tag=tag or "latest", stream=True, decode=True)  # type: ignore[no-any-return]

    try:
        await _stream(engine, f"pulling the image {name}", pull, on_item, log)
    except WorkspaceFailureError as exc:
        hint = " (tools/docker-setup.sh builds it)" if name == DEFAULT_IMAGE else ""
        reason = str(exc).split(": ", 1)[-1]
        raise WorkspaceFailureError(
            f"the image {name} is not available{hint}: it is not on this engine and pulling "
            f"it failed: {reason}",
            exc.detail,
        ) from None


def context_hash(folder: Path) -> str:
    """A hash of every file's path and bytes under ``folder`` (the build context)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


async def build_dockerfile(engine: DockerEngine, dockerfile: Path, log: LogSink) -> str:
    """Build (or reuse) the image of a template's Dockerfile; returns its tag."""
    if not dockerfile.is_file():
        raise WorkspaceFailureError(f"the template's Dockerfile {dockerfile} does not exist")
    context = dockerfile.parent
    tag = f"{BUILT_REPOSITORY}:{await asyncio.to_thread(context_hash, context)}"
    if await engine.call(f"looking up the image {tag}", lambda c: _present(c, tag)):
        log("build", f"using the cached image {tag} built from {dockerfile}")
        return tag
    log("build", f"building {dockerfile} as {tag}")
    failure: list[str] = []

    def on_item(item: dict[str, Any]) -> str | None:
        if "error" in item:
            failure.append(str(item["error"]).strip())
            return str(item["error"]).strip()
        text = str(item.get("stream", "")).rstrip("\n")
        return text if text.strip() else None

    def build(client: Any) -> Iterator[dict[str, Any]]:
        return client.api.build(  # type: ignore[no-any-return]
            path=str(context),
            dockerfile=dockerfile.name,
            tag=tag,
            rm=True,
            forcerm=True,
            decode=True,
            labels={LABEL_MANAGED: "true"},
        )

    lines = await _stream(engine, f"building {dockerfile}", build, on_item, log)
    if failure:
        raise WorkspaceFailureError(
            f"the Dockerfile {dockerfile} failed to build: {failure[-1]}", "\n".join(lines[-20:])
        )
    log("build", f"built {tag}")
    return tag


async def _stream(
    engine: DockerEngine,
    doing: str,
    start: Callable[[Any], Iterator[dict[str, Any]]],
    on_item: Callable[[dict[str, Any]], str | None],
    log: LogSink,
) -> list[str]:
    """Iterate a decoded JSON stream of the engine on a worker thread, logging each line live."""
    loop = asyncio.get_running_loop()
    lines: list[str] = []

    def run(client: Any) -> None:
        for item in start(client):
            text = on_item(item)
            if text is not None:
                for line in text.splitlines():
                    lines.append(line)
                    loop.call_soon_threadsafe(log, "build", line)

    await engine.call(doing, run)
    return lines
