"""The local provider: a folder per task on this machine, its bridge a detached process.

Layout under the provider's root (``$XDG_DATA_HOME/taskyard/workspaces``)::

    <task-id>/work/       the agent's working folder: a git worktree of the user's repository
                          (detached at its HEAD) when there is one, else a new repository
                          whose first commit holds what the setup script left (or nothing)
    <task-id>/bridge/     the bridge's state file, token (0600), ready file, log, runtime files

The bridge runs in its own session, so it outlives the sidecar and the CLI that started it;
any later process finds it again through the pid and port kept in the workspace record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from taskyard.errors import WorkspaceFailureError
from taskyard.lifecycle import Presence

from .base import LogSink, WorkFolder, WorkspaceData, WorkspaceSpec, agent_args
from .bridge_client import BridgeClient, BridgeError
from .git import start_repo

BRIDGE_COMMAND = [sys.executable, "-m", "taskyard.bridge"]

# Starts a program in its own session as a grandchild, so that init (not us) reaps it and it
# outlives this process; the middle process reports the grandchild's pid and exits at once.
DAEMONIZE = """import os, sys
os.setsid()
pid = os.fork()
if pid:
    with open(sys.argv[1], "w") as fh:
        fh.write(str(pid))
    os._exit(0)
os.execvp(sys.argv[2], sys.argv[2:])
"""


class LocalProvider:
    """Workspaces as folders; see the module docstring for the layout."""

    name = "local"

    def __init__(
        self, root: Path, *, bridge_command: list[str] | None = None, start_timeout: float = 30.0
    ) -> None:
        self.root = root
        self._bridge_command = bridge_command or BRIDGE_COMMAND
        self._start_timeout = start_timeout

    # -- lifecycle -------------------------------------------------------------------------

    async def create(self, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        base = self.root / spec.task_id
        work, runtime = base / "work", base / "bridge"
        runtime.mkdir(parents=True, exist_ok=True)
        os.chmod(runtime, 0o700)
        data: WorkspaceData = {"id": spec.task_id, "path": str(work), "runtime": str(runtime)}
        try:
            data.update(await self._prepare_folder(spec, work, log))
            token_file = runtime / "token"
            fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
            if spec.setup_script.strip():
                await self._run_setup(spec, work, log)
            if "base_commit" not in data:
                # After the setup script, which may have cloned a repository into the folder.
                await self._record_base(data, work, log)
            return await self.start(data, spec, log)
        except (WorkspaceFailureError, asyncio.CancelledError):
            # A task that never came up leaves nothing behind (a worktree, a bridge); its
            # logs say why.
            await asyncio.shield(self.delete(data))
            raise

    async def _record_base(self, data: WorkspaceData, work: Path, log: LogSink) -> None:
        try:
            data["base_commit"] = await start_repo(work)
            log("startup", f"work folder starts at commit {data['base_commit'][:12]}")
        except WorkspaceFailureError as exc:  # no git here: the agent runs all the same
            log("startup", f"no starting commit for the diff: {exc} {exc.detail}".strip())

    async def start(self, data: WorkspaceData, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        runtime = Path(data["runtime"])
        ready = runtime / "ready.json"
        ready.unlink(missing_ok=True)
        args = [
            *self._bridge_command,
            "server",
            "--type",
            spec.agent_type,
            "--port",
            "0",
            "--state-file",
            str(runtime / "state.json"),
            "--runtime-dir",
            str(runtime),
            "--workdir",
            data["path"],
            "--token-file",
            str(runtime / "token"),
            "--ready-file",
            str(ready),
            "--log-file",
            str(runtime / "bridge.log"),
            *agent_args(spec),
        ]
        log("startup", f"starting the agent bridge ({spec.agent_type})")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKYARD_BRIDGE_")}
        env.update(spec.env)
        pid_file = runtime / "bridge.pid"
        pid_file.unlink(missing_ok=True)
        (runtime / "bridge.stderr").write_bytes(b"")
        with open(runtime / "bridge.stderr", "ab") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                DAEMONIZE,
                str(pid_file),
                *args,
                cwd=data["path"],
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
            )
            await proc.wait()
        if proc.returncode != 0 or not pid_file.exists():
            raise WorkspaceFailureError("could not launch the agent bridge", _tail(runtime))
        pid = int(pid_file.read_text())
        port = await self._wait_ready(pid, ready, runtime)
        log("startup", f"agent bridge listening on 127.0.0.1:{port} (pid {pid})")
        # A local agent's servers listen on this machine already: the preview is the port itself.
        preview = f"http://127.0.0.1:{spec.preview_port}" if spec.preview_port else None
        url = f"http://127.0.0.1:{port}"
        return {**data, "pid": pid, "bridge_url": url, "preview_url": preview}

    async def stop(self, data: WorkspaceData, grace: float) -> WorkspaceData:
        pid = data.get("pid") or _pid_file(data)
        if pid and _alive(pid):
            try:
                await self.client(data).shutdown()
            except BridgeError:
                _signal(pid, signal.SIGTERM)
            if not await _wait_exit(pid, grace):
                _signal(pid, signal.SIGKILL)
                await _wait_exit(pid, 2.0)
        return {**data, "pid": None}

    async def delete(self, data: WorkspaceData, *, keep_work: bool = False) -> str | None:
        base = self.root / str(data["id"])
        # A create cut off by a crash recorded nothing but the id: the layout says the rest.
        data = {"path": str(base / "work"), "runtime": str(base / "bridge"), **data}
        await self.stop(data, grace=5.0)
        work = Path(data["path"])
        if keep_work and work.is_dir():
            # The folder stays where it is (still a worktree of the user's repository, so
            # `git worktree list` shows it); only the bridge's runtime files go.
            await asyncio.to_thread(shutil.rmtree, data["runtime"], True)
            return str(work)
        repo = data.get("worktree_of") or await _worktree_owner(work)
        if repo:
            with contextlib.suppress(WorkspaceFailureError):
                await _git(repo, "worktree", "remove", "--force", str(work))
        if base.is_dir() and base.parent == self.root:
            await asyncio.to_thread(shutil.rmtree, base, True)
        return None

    async def inspect(self, data: WorkspaceData) -> Presence:
        if not Path(data.get("runtime", "/nonexistent")).is_dir():
            return Presence.MISSING
        pid = data.get("pid")
        if not pid or not _alive(pid):
            return Presence.STOPPED
        try:
            await self.client(data).state()
            return Presence.RUNNING
        except BridgeError:
            return Presence.STOPPED

    async def saved_state(self, data: WorkspaceData) -> dict[str, Any] | None:
        """The bridge's state file, as it saved it last."""
        path = Path(data.get("runtime") or self.root / str(data["id"]) / "bridge") / "state.json"
        try:
            value = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def client(self, data: WorkspaceData) -> BridgeClient:
        token = (Path(data["runtime"]) / "token").read_text().strip()
        return BridgeClient(data["bridge_url"], token)

    @contextlib.asynccontextmanager
    async def work_folder(self, data: WorkspaceData) -> AsyncIterator[WorkFolder]:
        """The folder itself: it is on this machine, running or not."""
        path = data.get("path")
        if not path:
            raise WorkspaceFailureError("the task's work folder is not made yet")
        if not Path(path).is_dir():
            raise WorkspaceFailureError(f"the task's work folder {path} is gone")
        yield WorkFolder(Path(path), copy=False)

    # -- helpers ---------------------------------------------------------------------------

    async def _prepare_folder(
        self, spec: WorkspaceSpec, work: Path, log: LogSink
    ) -> dict[str, Any]:
        repo = spec.source_repo
        if spec.repo == "worktree" and repo and (Path(repo) / ".git").exists():
            head = (await _git(repo, "rev-parse", "HEAD")).strip()
            if head:
                await _git(repo, "worktree", "add", "--detach", str(work), head)
                log("startup", f"git worktree of {repo} at {head[:12]}")
                return {"worktree_of": repo, "base_commit": head}
        work.mkdir(parents=True, exist_ok=True)
        log("startup", f"empty workspace folder {work}")
        return {}

    async def _run_setup(self, spec: WorkspaceSpec, work: Path, log: LogSink) -> None:
        log("startup", "running the template's setup script")
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            spec.setup_script,
            cwd=work,
            env={**os.environ, **spec.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert proc.stdout is not None
        tail: list[str] = []
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            tail = [*tail[-19:], line]
            log("startup", line)
        code = await proc.wait()
        if code != 0:
            raise WorkspaceFailureError(
                f"the setup script exited with code {code}", "\n".join(tail)
            )

    async def _wait_ready(self, pid: int, ready: Path, runtime: Path) -> int:
        end = time.monotonic() + self._start_timeout
        while time.monotonic() < end:
            if ready.exists():
                with contextlib.suppress(ValueError, KeyError):
                    return int(json.loads(ready.read_text())["port"])
            if not _alive(pid):
                lines = _tail(runtime).splitlines()
                last = lines[-1] if lines else "it exited"
                raise WorkspaceFailureError(
                    f"the agent bridge failed to start: {last}", _tail(runtime)
                )
            await asyncio.sleep(0.05)
        _signal(pid, signal.SIGKILL)
        raise WorkspaceFailureError("the agent bridge did not start in time", _tail(runtime))


async def _worktree_owner(work: Path) -> str | None:
    """The repository a work folder is a worktree of (when its creation was cut off)."""
    if not (work / ".git").is_file():
        return None
    try:
        common = (await _git(str(work), "rev-parse", "--git-common-dir")).strip()
    except WorkspaceFailureError:
        return None
    return str((work / common).resolve().parent)


def _pid_file(data: WorkspaceData) -> int | None:
    """The bridge's pid from its runtime folder: a start-up cut short never recorded it."""
    try:
        return int((Path(data["runtime"]) / "bridge.pid").read_text())
    except (KeyError, OSError, ValueError):
        return None


def _tail(runtime: Path, lines: int = 10) -> str:
    try:
        text = (runtime / "bridge.stderr").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


async def _git(repo: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "git", "-C", repo, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise WorkspaceFailureError(f"git {args[0]} failed", err.decode(errors="replace"))
    return out.decode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive for us.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


async def _wait_exit(pid: int, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not _alive(pid)
