"""The agent bridge as a container receives it: ``bridge.pyz`` unpacked, with its bytecode.

Python cannot cache bytecode for modules imported from a zip file, so a bridge run straight
from ``bridge.pyz`` compiles every module at each start: about 0.3 s in the container, paid
twice (the bridge, then the demo agent it launches from the same file). Unpacked into a folder
with bytecode compiled here, the same imports take about 0.15 s.

The bytecode is compiled by the sidecar's own Python as *unchecked-hash* ``.pyc`` files (PEP
552: valid whatever the files' times after the copy). A container whose python3 has another
version ignores them (their names carry the version tag) and compiles into the same
``__pycache__`` folders, which belong to the agent, so its later starts are fast as well.

Copying ~5 MB into every new container would cost ~0.2 s of each create, so the unpacked
bridge lives in one shared volume per bridge version, ``taskyard-bridge-<hash>``, filled once
(through a short-lived helper container that is never started) and mounted read-only into
every task's container at ``/opt/taskyard/bridge-<hash>``. Its ``COMPLETE`` file is written
last, so a filling cut short is seen and redone. An updated bridge gets a new volume and never
mixes with an older one. Being shared, these volumes carry no task label and are no task's
orphans.
"""

from __future__ import annotations

import compileall
import hashlib
import io
import os
import py_compile
import tempfile
import zipfile
from typing import Any

import attrs
import docker.errors

from .container import FILES
from .engine import LABEL_MANAGED, LABEL_ROLE, tar_of

Entries = list[tuple[str, bytes | None, int]]
COMPLETE = "COMPLETE"


@attrs.frozen
class BridgeBundle:
    """One version of the bridge, unpacked: where it goes and what it holds."""

    volume: str
    """The shared volume holding it."""
    folder: str
    """Its mount point in containers (``python3 FOLDER`` runs the bridge)."""
    archive: bytes
    """A tar of the unpacked, compiled bridge, relative to the volume's root."""


def make_bundle(pyz: bytes) -> BridgeBundle:
    """The bundle of these zipapp bytes (compiling takes ~1 s: call it off the loop, once)."""
    name = f"bridge-{hashlib.sha256(pyz).hexdigest()[:16]}"
    entries = bridge_entries(pyz)
    entries.append((COMPLETE, b"", 0o644))  # last: the volume is whole once this exists
    return BridgeBundle(
        volume=f"taskyard-{name}", folder=f"{FILES}/{name}", archive=tar_of(entries)
    )


def ensure_volume(client: Any, bundle: BridgeBundle, image: str) -> None:
    """Create and fill the bundle's volume unless a complete one exists; blocking."""
    try:
        client.volumes.get(bundle.volume)
        exists = True
    except docker.errors.NotFound:
        exists = False
        labels = {LABEL_MANAGED: "true", LABEL_ROLE: "bridge"}
        client.volumes.create(name=bundle.volume, labels=labels)
    helper = client.containers.create(
        image,
        command=["true"],
        entrypoint=[],
        volumes={bundle.volume: {"bind": "/bundle", "mode": "rw"}},
        network_mode="none",
    )
    try:
        if exists and _has(helper, f"/bundle/{COMPLETE}"):
            return
        helper.put_archive("/bundle", bundle.archive)
    finally:
        helper.remove(force=True)


def _has(container: Any, path: str) -> bool:
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return False
    for _chunk in stream:  # drain it, so the connection is released
        pass
    return True


def bridge_entries(pyz: bytes) -> Entries:
    """Tar entries (see :func:`~.docker_engine.tar_of`) of the unpacked, compiled bridge."""
    entries: Entries = []
    with tempfile.TemporaryDirectory(prefix="taskyard-bridge-") as tmp:
        # zipfile finds the archive after the zipapp's shebang line.
        with zipfile.ZipFile(io.BytesIO(pyz)) as archive:
            archive.extractall(tmp)
        compileall.compile_dir(
            tmp,
            quiet=2,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        for folder, dirs, files in os.walk(tmp):
            dirs.sort()
            relative = os.path.relpath(folder, tmp)
            prefix = "" if relative == "." else f"{relative}/"
            if prefix:
                entries.append((relative, None, 0o755))
            for name in sorted(files):
                with open(os.path.join(folder, name), "rb") as fh:
                    entries.append((f"{prefix}{name}", fh.read(), 0o644))
    return entries
