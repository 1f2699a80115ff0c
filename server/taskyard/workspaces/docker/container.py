"""The anatomy of a task's container: what the Docker provider asks the engine for.

One container per task, built from pure functions here so the shape can be read in one place
(and checked without an engine)::

    name       taskyard-<task id>            labels   dev.taskyard.managed=true,
    image      the template's, or the default          dev.taskyard.task=<id>, role=workspace,
               taskyard-workspace:bookworm             dev.taskyard.home=<provider folder>
    PID 1      docker-init (``--init``): forwards SIGINT to the bridge and reaps zombies
    main       /bin/sh /opt/taskyard/entry.sh → the setup script (once per workspace) →
               exec python3 /opt/taskyard/bridge-<hash> server …  (the agent runs under it)
    user       1000:1000, HOME=/home/agent (the default image's ``agent``), never root
    volumes    taskyard-<id>-home → /home/agent   the bridge's state file, the agent's own
                                                  session files (~/.claude, the demo's)
               taskyard-<id>-work → /workspace    the work folder (the repository)
    files      /opt/taskyard/{entry.sh, setup.sh, token}, put in before each start (token
               0400, owned by the agent; never in the environment or the command line)
    bridge     /opt/taskyard/bridge-<hash>: the shared, read-only volume taskyard-bridge-<hash>
               (bridge.pyz unpacked with bytecode, :mod:`.docker_bundle`)
    network    bridge: the bridge listens on the container's interface, port 3284, published
               on 127.0.0.1 only (a random host port, read after each start); or host: the
               bridge listens on 127.0.0.1 of the host itself (tests reaching fake servers).
               An engine on another machine publishes on that machine's interfaces instead,
               reached at its host name (the token and the Host allowlist still guard it)
    hardening  no-new-privileges, every capability dropped, memory/CPU/pids limits, SIGINT as
               the stop signal (the bridge saves its state on it), bounded json-file logs

Secrets travel as the container's environment (the bridge hands its environment to the agent,
less its own token). The trade-off: ``docker inspect`` shows them to whoever may use the engine
(who is root-equivalent on its host anyway) and the engine keeps them in its root-only
container config; in exchange nothing secret is written into the image, the volumes or the
container's files, and no secret appears in the command line.

The volumes are named and outlive the container, so a task resumes even after its container
was removed: a new container mounts them and the bridge reloads its state file.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

from taskyard.workspaces.base import WorkspaceSpec, agent_args

from .engine import AGENT_UID, LABEL_HOME, LABEL_MANAGED, LABEL_ROLE, LABEL_TASK

DEFAULT_IMAGE = "taskyard-workspace:bookworm"
"""Built by ``tools/docker-setup.sh`` from ``images/workspace/Dockerfile``."""

HOME = "/home/agent"
WORKDIR = "/workspace"
FILES = "/opt/taskyard"
BRIDGE_PORT = 3284
STATE_DIR = f"{HOME}/.taskyard"

DEFAULT_MEMORY_MB = 4096
DEFAULT_CPUS = 2.0
DEFAULT_PIDS = 1024

# Exit codes of entry.sh, so a failed start-up is explained precisely (see :func:`explain_exit`).
EXIT_HOME = 96
EXIT_SETUP = 97
EXIT_NO_PYTHON = 98

_ENTRY_SH = f"""#!/bin/sh
# Taskyard's entry point in a workspace container (under docker-init): runs the template's
# setup script once per workspace, checks for python3, then becomes the agent bridge.
mkdir -p "{STATE_DIR}" || exit {EXIT_HOME}
if [ -s {FILES}/setup.sh ] && [ ! -e "{STATE_DIR}/setup-done" ]; then
    echo "taskyard: running the template's setup script"
    /bin/sh {FILES}/setup.sh </dev/null 2>&1
    code=$?
    if [ "$code" != 0 ]; then
        echo "taskyard: the setup script exited with code $code"
        exit {EXIT_SETUP}
    fi
    : > "{STATE_DIR}/setup-done"
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "taskyard: this image has no python3"
    exit {EXIT_NO_PYTHON}
fi
echo "taskyard: starting the agent bridge"
exec python3 @BRIDGE@ "$@"
"""

BRIDGE_MARKER = "taskyard: starting the agent bridge"
"""The line after which the container's output is the bridge's and the agent's."""


@attrs.define(kw_only=True)
class DockerOptions:
    """Provider-wide choices; a template's own settings (image, resources) take precedence."""

    image: str = DEFAULT_IMAGE
    """The image of templates that name none."""
    network: str = "bridge"
    """``bridge`` (published port on 127.0.0.1) or ``host`` (the host's own loopback)."""
    mounts: list[str] = attrs.Factory(list)
    """Extra bind mounts, ``host:container[:ro]`` (tests mount the Claude Code binary)."""
    env: dict[str, str] = attrs.Factory(dict)
    """Extra environment for every container (non-secret)."""
    ready_timeout: float = 60.0
    """Seconds a start may take until the bridge serves."""
    engine_host: str = ""
    """The engine's host name when it runs on another machine (``DOCKER_HOST=tcp://H:P`` or
    ``ssh://user@H``), else empty. Ports are then published on that machine's interfaces
    (still guarded by the bridge's token and Host allowlist) and reached at ``H``."""
    home: str = ""
    """The provider's folder (one per Taskyard data folder), labelled on every object so that
    orphans are judged per data folder: another user's or test run's tasks are not ours."""


def container_name(task_id: str) -> str:
    return f"taskyard-{task_id}"


def volume_names(task_id: str) -> dict[str, str]:
    """``role → volume name`` of a task's named volumes."""
    return {"home": f"taskyard-{task_id}-home", "work": f"taskyard-{task_id}-work"}


def labels(task_id: str, role: str, home: str = "") -> dict[str, str]:
    found = {LABEL_MANAGED: "true", LABEL_TASK: task_id, LABEL_ROLE: role}
    return found | ({LABEL_HOME: home} if home else {})


def workdir(spec: WorkspaceSpec) -> str:
    return spec.workdir or WORKDIR


def remote_host(address: str) -> str:
    """The engine's host for an engine on another machine, else "" (see ``engine_host``)."""
    scheme, _, rest = address.partition("://")
    if scheme not in ("tcp", "ssh", "http", "https"):
        return ""
    host = rest.rpartition("@")[2].split("/", 1)[0]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    loopback = host in ("localhost", "::1", "") or host.startswith("127.")
    return "" if loopback else host


def published_on(options: DockerOptions) -> str:
    """Where the engine publishes ports: loopback, unless the engine is another machine."""
    return "0.0.0.0" if options.engine_host else "127.0.0.1"


def bridge_args(spec: WorkspaceSpec, network: str, engine_host: str = "") -> list[str]:
    """The bridge's command line inside the container (no token: it is a file)."""
    host, port = ("0.0.0.0", BRIDGE_PORT) if network != "host" else ("127.0.0.1", 0)
    args = [
        "server",
        "--type",
        spec.agent_type,
        "--host",
        host,
        "--port",
        str(port),
        "--allowed-hosts",
        ",".join(["127.0.0.1", "localhost", *([engine_host] if engine_host else [])]),
        "--state-file",
        f"{STATE_DIR}/state.json",
        "--runtime-dir",
        f"{STATE_DIR}/run",
        "--workdir",
        workdir(spec),
        "--token-file",
        f"{FILES}/token",
    ]
    return [*args, *agent_args(spec)]


def limits(resources: dict[str, Any], engine_cpus: int) -> dict[str, Any]:
    """Memory, CPU and pids limits: the template's, else defaults that fit a laptop.

    The CPU quota is capped at the engine's core count, which the engine would otherwise
    refuse ("range of CPUs is from 0.01 to N").
    """
    memory = int(resources.get("memory_mb") or DEFAULT_MEMORY_MB)
    cpus = min(float(resources.get("cpus") or DEFAULT_CPUS), float(max(engine_cpus, 1)))
    return {
        "mem_limit": f"{memory}m",
        "memswap_limit": f"{memory}m",  # no swap on top: the limit means what it says
        "nano_cpus": int(cpus * 1e9),
        "pids_limit": int(resources.get("pids") or DEFAULT_PIDS),
    }


def create_kwargs(
    spec: WorkspaceSpec,
    options: DockerOptions,
    image: str,
    engine_cpus: int,
    bridge: tuple[str, str],
) -> dict[str, Any]:
    """Keyword arguments of ``client.containers.create`` for the task's container.

    ``bridge`` is the shared bridge volume and its mount point (:mod:`.docker_bundle`).
    """
    vols = volume_names(spec.task_id)
    volumes: dict[str, dict[str, str]] = {
        vols["home"]: {"bind": HOME, "mode": "rw"},
        bridge[0]: {"bind": bridge[1], "mode": "ro"},
    }
    if spec.repo == "bind" and spec.source_repo:
        # The user's folder itself; the agent (uid 1000) must be allowed to write it.
        volumes[os.path.abspath(spec.source_repo)] = {"bind": workdir(spec), "mode": "rw"}
    else:
        volumes[vols["work"]] = {"bind": workdir(spec), "mode": "rw"}
    for mount in options.mounts:
        host, _, rest = mount.partition(":")
        target, _, mode = rest.partition(":")
        volumes[host] = {"bind": target, "mode": mode or "rw"}
    ports: dict[str, Any] = {}
    if options.network != "host":
        ports[f"{BRIDGE_PORT}/tcp"] = (published_on(options), None)
        if spec.preview_port:
            ports[f"{spec.preview_port}/tcp"] = (published_on(options), None)
    return {
        "image": image,
        "name": container_name(spec.task_id),
        "entrypoint": ["/bin/sh", f"{FILES}/entry.sh"],
        "command": bridge_args(spec, options.network, options.engine_host),
        "user": f"{AGENT_UID}:{AGENT_UID}",
        "working_dir": workdir(spec),
        "environment": {**options.env, **spec.env, "HOME": HOME},
        "labels": labels(spec.task_id, "workspace", options.home),
        "volumes": volumes,
        "ports": ports,
        "network_mode": options.network,
        "init": True,
        "security_opt": ["no-new-privileges"],
        "cap_drop": ["ALL"],
        "stop_signal": "SIGINT",
        "log_config": {"type": "json-file", "config": {"max-size": "10m", "max-file": "2"}},
        **limits(spec.resources, engine_cpus),
    }


def entry_script(bridge: str) -> str:
    """entry.sh for the bridge unpacked in the folder ``bridge`` (see :mod:`.docker_bundle`)."""
    return _ENTRY_SH.replace("@BRIDGE@", bridge)


def files_tar_entries(
    spec: WorkspaceSpec, bridge_path: str, token: str
) -> list[tuple[str, bytes | None, int]]:
    """What is put into the container before each start (see :func:`~.docker_engine.tar_of`).

    Folder entries for the volumes' mount points make them the agent's: a fresh volume over a
    path the image lacks is root's, and a capability-less agent could not write to it.
    """
    owned = [HOME] if spec.repo == "bind" else [HOME, workdir(spec)]
    return [
        *[(path, None, 0o755) for path in owned],
        (FILES, None, 0o700),
        (f"{FILES}/entry.sh", entry_script(bridge_path).encode(), 0o755),
        (f"{FILES}/setup.sh", spec.setup_script.encode(), 0o600),
        (f"{FILES}/token", token.encode(), 0o400),
    ]


def explain_exit(code: int, lines: list[str], image: str) -> str:
    """Why a container ended before its bridge served, in one sentence."""
    last = next((line for line in reversed(lines) if line.strip()), "")
    if code == EXIT_SETUP:
        setup = next((x for x in reversed(lines) if "setup script exited" in x), "")
        return setup.removeprefix("taskyard: ") or "the setup script failed"
    if code == EXIT_NO_PYTHON:
        return (
            f"the image {image} has no python3; the agent bridge needs python3 (3.9 or newer) "
            "in the workspace image"
        )
    if code == EXIT_HOME:
        return f"the agent's home {HOME} is not writable for uid {AGENT_UID} in {image}"
    if code == 3 and "needs Python" in last:
        return f"the image {image}: {last}"
    if code in (126, 127):
        return f"the image {image} cannot run the entry point (/bin/sh): {last or code}"
    return f"the agent bridge exited with code {code}: {last or 'no output'}"
