"""``python -m taskyard.demo`` end to end, as a user (or CI) runs it: a subprocess, no TTY.

The full run must show every stage, save the logs, and leave nothing behind (no temporary
folder, no bridge process); a sidecar that cannot start must end in one clear message and
exit code 1, never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from taskyard.demo.env import docker_reachable

ROOT = Path(__file__).resolve().parents[2]
PROMPT = 'create hello.py with print("hello from Taskyard")'


def run_demo(
    tmp_path: Path, *args: str, within: float = 120, docker: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TASKYARD_DOCKER": "1" if docker else "0",
        "PYTHONPATH": str(ROOT / "server"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # only the built-in templates
    }
    env.pop("TASKYARD_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "taskyard.demo", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=within,
    )


def data_dir_of(stdout: str) -> Path:
    found = re.search(r"^\s+[\d.]+s\s+data\s+(\S+)\s+\(temporary", stdout, re.M)
    assert found, stdout
    return Path(found.group(1))


def bridges_under(folder: Path) -> list[str]:
    """Command lines of running ``taskyard.bridge`` processes that use ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "taskyard.bridge" in cmdline and str(folder) in cmdline:
            found.append(cmdline)
    return found


def assert_in_order(text: str, *patterns: str) -> None:
    at = 0
    for pattern in patterns:
        found = re.compile(pattern, re.M).search(text, at)
        assert found, f"{pattern!r} not found after position {at} in:\n{text}"
        at = found.end()


# What differs between the two providers in the demo's output.
WHERE = {
    "local": (r"workspace\s+local workspace", r"startup\s+agent bridge listening"),
    "docker": (r"workspace\s+Docker container", r"startup\s+agent bridge ready at"),
}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("provider", ["local", "docker"])
def test_the_demo_shows_every_stage_and_leaves_nothing_behind(
    tmp_path: Path, provider: str
) -> None:
    if provider == "docker" and not docker_reachable():
        if os.environ.get("CI"):
            pytest.fail("no Docker engine in CI (tools/docker-setup.sh starts one)")
        pytest.skip("no Docker engine answers (tools/docker-setup.sh starts one)")
    logs = tmp_path / "out" / "logs.md"
    result = run_demo(tmp_path, "--logs", str(logs), docker=provider == "docker")
    workspace_line, startup_line = WHERE[provider]
    out = result.stdout
    assert result.returncode == 0, f"stdout:\n{out}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert "\x1b[" not in out  # no colours without a terminal
    assert_in_order(
        out,
        r"list\s+\d+ templates",
        r"^\s+demo\s+Runs Taskyard's demo agent",
        r"validate\s+✗ max_files=50 → max_files: Pick between 1 and 20 files, not 50\.",
        r"validate\s+✓ preset quick \+ max_files=3",
        workspace_line,
        r"status\s+pending",
        r"status\s+initializing",
        startup_line,
        r"status\s+active",
        r"state\s+working",
        r"you\s+" + re.escape(PROMPT),
        r"agent\s+Created hello\.py",
        r"state\s+idle",
        r"you\s+sleep 2 and tell me",
        r"queued\s+the agent is busy",
        r"agent\s+Slept for 2 seconds\.",
        r"you\s+list the files",
        r"agent\s+Demo reply to: list the files",
        r"interrupt\s+taskyard/tasks/interrupt",
        r"agent\s+Interrupted by user\.",
        r"status\s+paused",
        r"messages\s+✓ snapshot: true, 9 messages",
        r"resume\s+✓ live again; the 9 earlier messages are intact",
        r"the prompt was not re-run",
        r"logs\s+✓ saved " + re.escape(str(logs)),
        r"diff\s+✓ 1 file changed since commit [0-9a-f]{12} \(taskyard/tasks/diff\)",
        r"A hello\.py  \+1 -0",
        r"│ diff --git a/hello\.py b/hello\.py",
        r'│ \+print\("hello from Taskyard"\)',
        r"deleted\s+task demo-hello-",
        r"sidecar\s+✓ shut down cleanly",
        r"create → agent accepting input",
        r"whole demo",
    )
    # Every event line carries the elapsed time.
    assert re.search(r"^\s+\d+\.\d\ds  status    pending$", out, re.M), out
    # Replayed messages (the sidecar re-announces them on every reconnect) print once.
    assert len(re.findall(r"you\s+" + re.escape(PROMPT), out)) == 1

    saved = logs.read_text(encoding="utf-8")
    assert saved.startswith("# demo-hello-")
    for text in (PROMPT, "Created hello.py", "list the files", "Interrupted by user.", "### Agent"):
        assert text in saved

    data = data_dir_of(out)
    assert not data.exists()
    assert bridges_under(data) == []


def test_a_sidecar_that_cannot_start_fails_clearly(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-sidecar"
    result = run_demo(tmp_path, "--server-command", f"{missing} serve", within=60)
    assert result.returncode == 1, result
    assert f"taskyard demo failed: could not start the sidecar `{missing} serve`" in result.stderr
    assert "No such file or directory" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not data_dir_of(result.stdout).exists()


def test_a_sidecar_that_dies_shows_its_stderr(tmp_path: Path) -> None:
    crash = "import sys; sys.stderr.write('sidecar: cannot open the store\\n'); sys.exit(3)"
    result = run_demo(tmp_path, "--server-command", f"{sys.executable} -c {crash!r}", within=60)
    assert result.returncode == 1, result
    assert "the sidecar exited unexpectedly (code 3)" in result.stderr
    assert "| sidecar: cannot open the store" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
