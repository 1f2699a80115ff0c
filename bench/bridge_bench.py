"""Bridge benchmarks: status and stability latency, idle CPU, and the API under an output flood.

Each figure is printed with its target; nothing here fails a build. Every run starts real
bridge processes on loopback, as the tests do.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bridge.harness import TOKEN, BridgeProcess  # noqa: E402

# A "custom" agent that echoes each line it reads and otherwise stays silent.
ECHO_AGENT = [
    sys.executable,
    "-u",
    "-c",
    "import sys\nfor line in sys.stdin:\n    print('got', line.strip(), flush=True)",
]
# A "custom" agent that floods 5 MB of coloured lines when it reads a line.
FLOOD_AGENT = [
    sys.executable,
    "-u",
    "-c",
    (
        "import sys\n"
        "line = '\\x1b[32m' + 'x' * 90 + '\\x1b[0m\\n'\n"
        "for _ in sys.stdin:\n"
        "    n = 0\n"
        "    while n < 5 * 1024 * 1024:\n"
        "        sys.stdout.write(line); n += len(line)\n"
        "    sys.stdout.flush()\n"
    ),
]

POLLER = (
    "import pyte, time, sys\n"
    "screen = pyte.Screen(100, 40); stream = pyte.ByteStream(screen)\n"
    "end = time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end:\n"
    "    screen.display; time.sleep(0.025)\n"
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, value: str, target: str) -> None:
    print(f"  {name:<52} {value:>16}   target {target}")


class SseWatcher:
    """Reads an SSE stream on a thread and timestamps each event."""

    def __init__(self, url: str, path: str) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self._client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=None
        )
        self._path = path
        self._cond = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        name = ""
        try:
            with self._client.stream("GET", self._path) as resp:
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        with self._cond:
                            self.events.append((time.perf_counter(), name, json.loads(line[5:])))
                            self._cond.notify_all()
        except httpx.HTTPError:
            return

    def wait(self, pred: Any, after: int, timeout: float = 10.0) -> tuple[float, dict[str, Any]]:
        end = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < end:
                for ts, name, data in self.events[after:]:
                    if pred(name, data):
                        return ts, data
                self._cond.wait(0.05)
        raise TimeoutError("event not seen")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_status_latency(base: Path, rounds: int = 60) -> None:
    proc = BridgeProcess(base / "latency", "demo").start()
    try:
        proc.wait_state("idle")
        sse = SseWatcher(proc.url, "/taskyard/events")
        time.sleep(0.3)
        latencies = []
        with proc.client() as c:
            for i in range(rounds):
                state = "working" if i % 2 == 0 else "idle"
                mark = len(sse.events)
                t0 = time.perf_counter()
                c.post("/taskyard/signal", json={"state": state, "message": f"round {i}"})
                ts, _ = sse.wait(
                    lambda n, d, s=state, i=i: (
                        n == "state_change" and d["state"] == s and d["message"] == f"round {i}"
                    ),
                    mark,
                )
                latencies.append((ts - t0) * 1000)
        report(
            "hook signal -> state_change on SSE, p50", f"{statistics.median(latencies):.1f} ms", "-"
        )
        report(
            "hook signal -> state_change on SSE, p95", f"{pct(latencies, 0.95):.1f} ms", "<= 50 ms"
        )
        hook = [time_hook_command(proc) for _ in range(10)]
        report(
            "hook command (python3 -S) run time, median", f"{statistics.median(hook):.1f} ms", "-"
        )
    finally:
        proc.stop()


def time_hook_command(proc: BridgeProcess) -> float:
    script = proc.base / "latency" / "state" / "bridge" / "taskyard-hook.py"
    script = next(proc.base.rglob("taskyard-hook.py"), script)
    env = {**os.environ, "TASKYARD_BRIDGE_URL": proc.url, "TASKYARD_SIGNAL_TOKEN": "wrong"}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-S", str(script)],
        input=b'{"hook_event_name":"Stop"}',
        env=env,
        check=True,
    )
    return (time.perf_counter() - t0) * 1000


def bench_stability(base: Path, rounds: int = 8, window: float = 1.0) -> None:
    proc = BridgeProcess(
        base / "stability", "custom", ECHO_AGENT, extra_args=["--stability-window", str(window)]
    ).start()
    try:
        proc.wait_state("idle")
        sse = SseWatcher(proc.url, "/events")
        screens = SseWatcher(proc.url, "/taskyard/screen/stream")
        time.sleep(0.3)
        delays = []
        with proc.client() as c:
            for i in range(rounds):
                mark, smark = len(sse.events), len(screens.events)
                c.post("/message", json={"content": f"ping{i}\r", "type": "raw"})
                changed, _ = screens.wait(lambda n, d, i=i: f"got ping{i}" in d["screen"], smark)
                stable, _ = sse.wait(
                    lambda n, d: n == "status_change" and d["status"] == "stable", mark
                )
                delays.append((stable - changed) * 1000)
        over = [d - window * 1000 for d in delays]
        report(
            f"last screen change -> stable (window {window:.1f} s), max",
            f"{max(delays):.0f} ms",
            f"<= {window * 1000 + 100:.0f} ms",
        )
        report(
            "  overshoot past the window, median / max",
            f"{statistics.median(over):.0f} / {max(over):.0f} ms",
            "<= 100 ms",
        )
    finally:
        proc.stop()


def bench_idle_cpu(base: Path, seconds: float) -> None:
    proc = BridgeProcess(base / "idle", "demo").start()
    try:
        proc.wait_state("idle")
        time.sleep(1.0)
        poller = subprocess.Popen([sys.executable, "-c", POLLER, str(seconds)])
        pids = [proc.proc.pid, proc.state()["pid"]]  # the bridge and its agent
        c0, p0, t0 = sum(map(cpu_seconds, pids)), cpu_seconds(poller.pid), time.monotonic()
        time.sleep(seconds)
        bridge_cpu = sum(map(cpu_seconds, pids)) - c0
        poll_cpu = cpu_seconds(poller.pid) - p0
        elapsed = time.monotonic() - t0
        poller.wait()
        tick = 100 / os.sysconf("SC_CLK_TCK") / elapsed  # the smallest measurable share
        b, p = 100 * bridge_cpu / elapsed, 100 * poll_cpu / elapsed
        shown = f"{b:.3f} % core" if b > 0 else f"< {tick:.3f} % core"
        report(f"idle bridge + idle agent CPU over {elapsed:.0f} s", shown, "<= 0.5 %")
        report("fixed 25 ms polling loop, same run", f"{p:.3f} % core", "-")
        ratio = f"{p / b:.0f}x" if b > 0 else f"> {p / tick:.0f}x"
        report("ratio polling / event-driven", ratio, "-")
    finally:
        proc.stop()


def bench_flood(base: Path) -> None:
    proc = BridgeProcess(base / "flood", "custom", FLOOD_AGENT).start()
    try:
        proc.wait_state("idle")
        latencies: list[float] = []
        with proc.client() as c:
            c.post("/message", json={"content": "go\r", "type": "raw"})
            t_start = time.monotonic()
            time.sleep(0.05)
            while time.monotonic() - t_start < 60:
                t0 = time.perf_counter()
                c.get("/status")
                latencies.append((time.perf_counter() - t0) * 1000)
                if (
                    c.get("/taskyard/state").json()["state"] == "idle"
                    and time.monotonic() - t_start > 1
                ):
                    break
            duration = time.monotonic() - t_start
        report("5 MB output burst: processed in", f"{duration:.1f} s", "-")
        report(
            "  GET /status during the burst, p50 / p99",
            f"{statistics.median(latencies):.1f} / {pct(latencies, 0.99):.1f} ms",
            "no stall",
        )
        report("  requests answered during the burst", str(len(latencies)), "-")
    finally:
        proc.stop()


def main(idle_seconds: float = 60.0) -> None:
    print("Bridge benchmarks")
    with tempfile.TemporaryDirectory(prefix="taskyard-bench-") as tmp:
        base = Path(tmp)
        bench_status_latency(base)
        bench_stability(base)
        bench_flood(base)
        bench_idle_cpu(base, idle_seconds)
