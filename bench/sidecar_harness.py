"""The sidecar benchmarks' harness: the real stdio sidecar driven by a pygls client.

:class:`Sidecar` starts ``python -m taskyard serve`` with its own data folder, talks raw JSON to
it as the editor does (the raw client of :mod:`taskyard.protocol.client`) and timestamps
every ``taskyard/*`` notification the moment the client reads it, so waiting for one never adds
polling delay to a figure. The ``/proc`` helpers below measure memory and find the processes a
run leaves behind: every bridge and agent of a run mentions the run's temp folder on its command
line, which is how :func:`leftover_pids` tells ours from anything else on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from taskyard.protocol.client import make_raw_client

ROOT = Path(__file__).resolve().parents[1]
Note = tuple[float, str, dict[str, Any]]
"""(perf_counter when the client read it, method, params)."""


def sidecar_env(base: Path, demo_speed: str) -> dict[str, str]:
    """The sidecar's environment: everything under ``base``, no way to reach a naming model."""
    env = {
        k: v
        for k, v in os.environ.items()
        # A configured Anthropic key would make task naming call the network on every create.
        if not k.startswith(("TASKYARD_", "ANTHROPIC_"))
    }
    return env | {
        "TASKYARD_DATA_DIR": str(base / "data"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "XDG_DATA_HOME": str(base / "xdg-data"),
        "TASKYARD_DEMO_SPEED": demo_speed,
        "TASKYARD_DOCKER": "0",  # the sidecar figures are the engine's own, without Docker
        "PYTHONPATH": str(ROOT / "server"),
    }


class Sidecar:
    """One sidecar process and its client; ``notes`` holds every notification received."""

    def __init__(
        self, base: Path, *, demo_speed: str = "20", command: list[str] | None = None
    ) -> None:
        self.base = base
        self.command = command or [sys.executable, "-m", "taskyard", "serve"]
        self.data = base / "data"
        self.workspace = base / "editor-workspace"
        self.env = sidecar_env(base, demo_speed)
        self.notes: list[Note] = []
        self._arrived = asyncio.Event()
        self._stderr_job: asyncio.Task[None] | None = None
        # Taskyard's methods keep their params and results as raw JSON, as in the e2e tests.
        self.client = make_raw_client("taskyard-bench", "0", on_notification=self._note)

    def _note(self, at: float, method: str, params: Any) -> None:
        self.notes.append((at, method, params))
        self._arrived.set()

    @property
    def pid(self) -> int:
        server = self.client._server
        assert server is not None
        return int(server.pid)

    async def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.workspace.mkdir(parents=True, exist_ok=True)
        await self.client.start_io(*self.command, env=self.env, cwd=str(self.base))
        server = self.client._server
        assert server is not None and server.stderr is not None
        # The sidecar logs to stderr; an unread pipe would fill up and stall it.
        self._stderr_job = asyncio.create_task(self._drain(server.stderr))
        uri = self.workspace.as_uri()
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=uri,
                workspace_folders=[types.WorkspaceFolder(uri=uri, name="ws")],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        with open(self.base / "sidecar.log", "ab") as log:
            while chunk := await stream.read(65536):
                log.write(chunk)

    async def stop(self) -> None:
        """Shut down politely; kill the process if it does not exit within a few seconds."""
        server = self.client._server
        if server is None or server.returncode is not None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        try:
            await asyncio.wait_for(server.wait(), 5)
        except TimeoutError:
            server.kill()
            await server.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 5)  # type: ignore[no-untyped-call]
        if self._stderr_job is not None:
            await asyncio.gather(self._stderr_job, return_exceptions=True)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        return await self.client.protocol.send_request_async(method, params)

    async def timed(self, method: str, params: dict[str, Any]) -> tuple[float, Any]:
        """``(round trip in ms, result)`` as the editor would see it."""
        t0 = time.perf_counter()
        result = await self.call(method, params)
        return (time.perf_counter() - t0) * 1000, result

    def mark(self) -> int:
        return len(self.notes)

    async def wait(
        self,
        method: str,
        pred: Callable[[dict[str, Any]], bool],
        after: int = 0,
        timeout: float = 30.0,
    ) -> tuple[int, float, dict[str, Any]]:
        """The first ``method`` notification from position ``after`` on that ``pred`` accepts.

        Returns its position in :attr:`notes`, the time it arrived and its params.
        """
        end = time.monotonic() + timeout
        seen = after
        while True:
            for pos in range(seen, len(self.notes)):
                ts, name, params = self.notes[pos]
                if name == method and pred(params):
                    return pos, ts, params
            seen = len(self.notes)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching {method} within {timeout:.0f} s")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def task_notes(self, task_id: str, after: int = 0) -> list[tuple[float, dict[str, Any]]]:
        """Every didChange of one task from ``after`` on, as ``(time, task)``."""
        return [
            (ts, params["task"])
            for ts, method, params in self.notes[after:]
            if method == "taskyard/tasks/didChange" and params["task"]["id"] == task_id
        ]


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (as the bridge benchmarks compute it)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, value: str, target: str) -> None:
    print(f"  {name:<58} {value:>20}   target {target}", flush=True)


# --- /proc -------------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    """Resident memory of one process in MiB (0 when it is gone)."""
    return _status_kib(pid, "VmRSS") / 1024


def peak_rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmHWM") / 1024


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] != "Z":  # an exited process that init has not reaped yet
                    parents[int(entry.name)] = int(stat[1])
    return parents


def tree(roots: list[int]) -> set[int]:
    """``roots`` and all their descendants that are alive now."""
    parents = _parents()
    found = {pid for pid in roots if pid in parents}
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in found} - found
        found |= more
        grew = bool(more)
    return found


def leftover_pids(marker: Path) -> list[int]:
    """Live processes whose command line mentions ``marker`` (a run's temp folder)."""
    needle, own = str(marker).encode(), os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes() and _state(entry) != "Z":
                found.append(int(entry.name))
    return found


def _state(entry: Path) -> str:
    return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]


def kill_leftovers(marker: Path) -> list[int]:
    """SIGKILL each process of this run still alive (by pid); return their pids."""
    pids = leftover_pids(marker)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids
