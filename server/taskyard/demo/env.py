"""The demo's surroundings: the editor's scratch repository, the sidecar's environment, and the
safety net that stops bridges a failed run would otherwise leave behind.

Everything here must work on a fresh machine: git may be missing or configured to sign commits,
Docker may be absent, and nothing may touch the network.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import taskyard

README = "# Taskyard demo\n\nThe scratch repository `taskyard demo` opens as the editor's folder.\n"
# Brisk but still visible: the demo agent divides its thinking time by this.
DEFAULT_SPEED = "3"


def make_repo(folder: Path) -> str:
    """A git repository with a README and one commit; returns how to describe the folder.

    Without git the folder stays plain, and the local provider gives the task an empty folder
    instead of a worktree: the demo still runs, and says so.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README, encoding="utf-8")
    # The user's global git config must not matter (commit signing, hooks, default branch).
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=Taskyard demo", "-c", "user.email=demo@taskyard.invalid"]
    steps = [
        ["git", "-c", "init.defaultBranch=main", "init", "-q"],
        ["git", "add", "README.md"],
        ["git", *ident, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "Initial commit"],
    ]
    try:
        for step in steps:
            subprocess.run(step, cwd=folder, env=env, check=True, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        why = "git is not installed" if isinstance(exc, FileNotFoundError) else "git failed"
        return f"plain folder ({why}: the task gets an empty folder, not a worktree)"
    return "git repository, 1 commit"


def sidecar_env(data_dir: Path) -> dict[str, str]:
    """The sidecar's environment: its own data folder, a brisk demo agent, this package."""
    env = dict(os.environ)
    env["TASKYARD_DATA_DIR"] = str(data_dir)
    env.setdefault("TASKYARD_DEMO_SPEED", DEFAULT_SPEED)
    # The sidecar (and the bridges it starts) must import this very package, installed or not.
    here = str(Path(taskyard.__file__).resolve().parent.parent)
    paths = [here, *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != here)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def sidecar_command() -> list[str]:
    return [sys.executable, "-m", "taskyard", "serve"]


def docker_reachable() -> bool:
    """Whether a Docker daemon answers a ping (local socket only; never raises)."""
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no daemon, no permission: all mean "not reachable"
        return False


def provider_text(provider: str, docker: bool) -> str:
    if provider == "docker":
        return "Docker container"
    if not docker:
        return "local workspace (Docker not reachable)"
    return "local workspace (Docker is reachable, but the sidecar did not use it)"


def stop_bridges(data_dir: Path, task_ids: list[str] | None) -> list[int]:
    """SIGTERM the bridges of these tasks (all of the folder's when None) that still run.

    Bridges are detached on purpose (they outlive the sidecar), so after a failed run they are
    found through their pid files, and only processes whose command line is a Taskyard bridge
    of this data folder are signalled.
    """
    root = data_dir / "workspaces"
    ids = task_ids if task_ids is not None else [p.name for p in root.glob("*") if p.is_dir()]
    stopped = []
    for task_id in ids:
        with contextlib.suppress(OSError, ValueError):
            pid = int((root / task_id / "bridge" / "bridge.pid").read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "taskyard.bridge" in cmdline and str(data_dir) in cmdline:
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
    # Wait for them: a bridge writes its state file as it exits, which would race the removal
    # of the data folder.
    end = time.monotonic() + 5.0
    while any(_running(pid) for pid in stopped) and time.monotonic() < end:
        time.sleep(0.05)
    for pid in stopped:
        if _running(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    return stopped


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited bridge is reaped by init, not by us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def release(data: Path, temporary: bool, repo: Path, task_id: str | None) -> list[int]:
    """Stop what a run left running and remove its temporary folders; the pids stopped.

    In a data folder the demo made, every bridge is ours and the folder goes; in one the user
    chose, only our task's bridge is stopped and the folder stays.
    """
    stopped = stop_bridges(data, None if temporary else [task_id] if task_id else [])
    if temporary:
        remove_tree(data)
    remove_tree(repo)
    return stopped


def remove_tree(path: Path) -> None:
    """Remove a folder; once more after a moment if a process that just exited re-created bits."""
    for _ in range(2):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.2)
