"""Docker workspace benchmarks: create → agent accepting input, pause/resume, concurrent creates.

Every figure is measured against the real engine in the same run as its baseline, a bare
``docker run --rm IMAGE true``, and printed with its target (nothing here fails a build). The
demo agent runs in the default workspace image (``tools/docker-setup.sh`` builds it). "Accepting
input" means the bridge reports the agent idle and ``stable``: a user message would be typed now.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from taskyard.errors import WorkspaceFailureError  # noqa: E402
from taskyard.workspaces.base import WorkspaceSpec  # noqa: E402
from taskyard.workspaces.bridge_client import BridgeClient, close_shared_client  # noqa: E402
from taskyard.workspaces.docker.container import DEFAULT_IMAGE  # noqa: E402
from taskyard.workspaces.docker.engine import task_filter  # noqa: E402
from taskyard.workspaces.docker.provider import DockerProvider  # noqa: E402


def report(name: str, value: str, target: str) -> None:
    print(f"  {name:<58} {value:>20}   target {target}", flush=True)


def spec(prompt: str = "") -> WorkspaceSpec:
    return WorkspaceSpec(
        task_id=str(uuid.uuid4()),
        agent_type="demo",
        argv=[],
        env={"TASKYARD_DEMO_SPEED": "5"},
        initial_prompt=prompt,
        repo="none",
    )


def quiet(_stream: str, _text: str) -> None:
    """The benchmarks' log sink: lines are not the point here."""


async def accepting_input(client: BridgeClient, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = await client.state()
        if state["state"] == "idle" and state["status"] == "stable":
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("the agent never became ready for input")


def bare_run_ms(image: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", image, "true"], check=True, capture_output=True)
    return (time.perf_counter() - t0) * 1000


async def create_ready(provider: DockerProvider, made: list[str]) -> tuple[float, float]:
    """(ms until the bridge serves, ms until the agent accepts input) for one new task."""
    task = spec()
    made.append(task.task_id)
    t0 = time.perf_counter()
    data = await provider.create(task, quiet)
    serving = (time.perf_counter() - t0) * 1000
    await accepting_input(provider.client(data))
    ready = (time.perf_counter() - t0) * 1000
    await provider.delete(data)
    return serving, ready


async def bench_create(provider: DockerProvider, runs: int, made: list[str]) -> None:
    await create_ready(provider, made)  # warm-up: page cache, bridge.pyz, engine facts
    bare, serving, ready = [], [], []
    for _ in range(runs):
        bare.append(await asyncio.to_thread(bare_run_ms, provider.options.image))
        s, r = await create_ready(provider, made)
        serving.append(s)
        ready.append(r)
    bare_ms, ready_ms = statistics.median(bare), statistics.median(ready)
    report(f"docker run --rm IMAGE true, median of {runs}", f"{bare_ms:.0f} ms", "baseline")
    report(
        f"create -> bridge serving, median of {runs}", f"{statistics.median(serving):.0f} ms", "-"
    )
    report(f"create -> agent accepting input, median of {runs}", f"{ready_ms:.0f} ms", "<= 1500 ms")
    report("  ratio to the bare docker run", f"{ready_ms / bare_ms:.2f}x", "<= 2.5x")


async def bench_pause_resume(provider: DockerProvider, runs: int, made: list[str]) -> None:
    task = spec("create hello.txt with hi there")
    made.append(task.task_id)
    data = await provider.create(task, quiet)
    await accepting_input(provider.client(data))
    pauses, resumes = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        data = await provider.stop(data, grace=10.0)
        pauses.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        data = await provider.start(data, task, quiet)
        await accepting_input(provider.client(data))
        resumes.append((time.perf_counter() - t0) * 1000)
    messages = await provider.client(data).messages()
    prompts = sum(1 for m in messages if m["role"] == "user")
    await provider.delete(data)
    report(
        f"pause (SIGINT, state saved, container stopped), median of {runs}",
        f"{statistics.median(pauses):.0f} ms",
        "-",
    )
    report(
        f"resume -> agent accepting input, median of {runs}",
        f"{statistics.median(resumes):.0f} ms",
        "-",
    )
    report("  initial prompt sent (after every resume)", f"{prompts} time(s)", "exactly 1")


async def bench_concurrent(provider: DockerProvider, count: int, made: list[str]) -> None:
    async def one() -> float:
        task = spec()
        made.append(task.task_id)
        data = await provider.create(task, quiet)
        await accepting_input(provider.client(data))
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    done = [r for r in results if isinstance(r, float)]
    last = f"{max(done):.1f} s" if done else "-"
    cores = os.cpu_count()
    report(f"{count} creates at once on {cores} cores: time to the last active", last, "-")
    report("  errors", f"{len(errors)}", "0")
    for err in errors[:3]:
        print(f"    {type(err).__name__}: {err}")


async def cleanup(provider: DockerProvider, made: list[str]) -> None:
    def purge(client: Any) -> None:
        for task_id in made:
            for container in client.containers.list(all=True, filters=task_filter(task_id)):
                container.remove(force=True)
            for volume in client.volumes.list(filters=task_filter(task_id)):
                volume.remove(force=True)

    await provider.engine.call("cleaning up", purge)


async def run(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="taskyard-docker-bench-") as tmp:
        provider = DockerProvider(Path(tmp) / "docker")
        if not await provider.engine.ping():
            print("  no Docker engine answers (tools/docker-setup.sh starts one): skipped")
            return
        made: list[str] = []
        try:
            await bench_create(provider, 3 if quick else 7, made)
            await bench_pause_resume(provider, 2 if quick else 5, made)
            await bench_concurrent(provider, 3 if quick else 20, made)
        except WorkspaceFailureError as exc:
            print(f"  !! {exc}")
        finally:
            await cleanup(provider, made)
            await provider.close()
            await close_shared_client()


def main(quick: bool = False) -> None:
    load = os.getloadavg()[0]
    cores = os.cpu_count()
    print(f"Docker benchmarks (image {DEFAULT_IMAGE}; load average {load:.1f}, {cores} cores)")
    if shutil.which("docker") is None:
        print("  no docker command: skipped")
        return
    t0 = time.monotonic()
    asyncio.run(run(quick))
    print(f"  (docker benchmarks took {time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
