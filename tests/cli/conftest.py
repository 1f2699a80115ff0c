"""Fixtures for the ``taskyard`` command line: the real CLI as subprocesses, one data folder each.

Every run is ``python -m taskyard …`` with ``TASKYARD_DATA_DIR`` and ``XDG_CONFIG_HOME`` inside
the test's folder and the current directory set to an empty project folder (not this
repository, which would otherwise get git worktrees). Bridges are detached processes, so each
fixture deletes its tasks at the end and kills any bridge still running from its data folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands import Result

ROOT = Path(__file__).resolve().parents[2]
# Variables that would change what the CLI does: real API keys (task naming calls Claude when
# one is set) and secrets from the developer's environment.
SCRUBBED = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "PYTHONDONTWRITEBYTECODE")
# Each run is a fresh interpreter: without cached bytecode every one would compile ~400
# modules again (about a third of a second). The cache lives outside the repository.
PYCACHE = Path(tempfile.gettempdir()) / "taskyard-cli-tests-pycache"


class Cli:
    """Runs ``taskyard`` against one data folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / "data"
        self.config = home / "config"
        self.project = home / "project"
        self.project.mkdir(parents=True, exist_ok=True)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in SCRUBBED and not k.startswith("TASKYARD_")
        }
        env.update(
            TASKYARD_DATA_DIR=str(self.data),
            XDG_CONFIG_HOME=str(self.config),
            TASKYARD_DEMO_SPEED="5",
            TASKYARD_DOCKER="0",
            PYTHONPATH=str(ROOT / "server"),
            PYTHONPYCACHEPREFIX=str(PYCACHE),
        )
        env.update(extra or {})
        return env

    def __call__(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
    ) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "taskyard", *args],
            cwd=self.project,
            env=self.env(env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "taskyard", *args],
            cwd=self.project,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def tasks(self) -> list[dict[str, Any]]:
        """Every task in the store, as ``task list -a -o json`` reports them."""
        result = self("task", "list", "-a", "-o", "json")
        assert result.code == 0, result.err
        tasks: list[dict[str, Any]] = result.json()["tasks"]
        return tasks

    def task(self, name: str) -> dict[str, Any]:
        result = self("task", "status", name, "-o", "json")
        assert result.code == 0, result.err
        task: dict[str, Any] = result.json()
        return task

    def watch(self, name: str) -> Result:
        """``task status --watch`` until the agent stops working."""
        result = self("task", "status", name, "--watch", timeout=60)
        assert result.code in (0, 1), result.err
        return result

    def cleanup(self) -> None:
        """Delete every task, then kill any bridge of this data folder that still runs."""
        ids = [t["id"] for t in self.tasks()] if self.data.exists() else []
        if ids:
            self("task", "delete", "-y", *ids)
        for pid in bridge_pids(self.data):
            kill(pid)


def bridge_pids(data: Path) -> list[int]:
    """Bridges started from this data folder, found by their command line.

    Not only from the workspace records: a bridge whose start-up was cut off is recorded
    nowhere, and deleting its task removes its pid file.
    """
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "taskyard.bridge\0server" in cmdline and str(data) in cmdline:
            pids.append(int(proc.name))
    return pids


def kill(pid: int) -> None:
    """SIGKILL a bridge; its agent gets SIGHUP when the bridge's terminal closes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    end = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < end:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One data folder for a whole test module (its tests build on each other's tasks)."""
    runner = Cli(tmp_path_factory.mktemp("cli"))
    try:
        yield runner
    finally:
        runner.cleanup()


def state_of(task: dict[str, Any]) -> str | None:
    state = task.get("state") or {}
    return state.get("state")
