"""The lifecycle from the CLI alone, with no editor and no sidecar running.

Bug 7: auto-pause needed a sidecar, so CLI-only users never got it; the task's bridge now
pauses its workspace itself, and the next CLI command shows the task paused. Bug 5: a task
created without a preset recorded the template's default preset without its values; the CLI
now applies the default preset unless told ``--no-preset``, and records what it applied.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .conftest import Cli, bridge_pids, state_of

IDLE_TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "settings" / "idle-templates"


def test_7_an_idle_task_pauses_itself_with_no_sidecar(cli: Cli) -> None:
    folder = cli.project / ".taskyard" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(IDLE_TEMPLATES / "quick-idle.toml", folder)
    made = cli(
        "task", "create", "create idle.txt with zz", "--template", "quick-idle", "--name", "idler",
        env={"TASKYARD_IDLE_MINUTE_SECONDS": "1"},
    )  # fmt: skip
    assert made.code == 0, made.err
    # No Taskyard process runs now; the bridge alone decides after its idle minute (1 s).
    end = time.monotonic() + 30
    while bridge_pids(cli.data) and time.monotonic() < end:
        time.sleep(0.2)
    assert bridge_pids(cli.data) == []
    task = cli.task("idler")
    assert task["status"] == "paused" and task["workspace"]["status"] == "stopped"
    assert state_of(task) != "working" and task["actions"]["send"]
    # Nobody followed the bridge; its conversation comes from its state file.
    logs = cli("task", "logs", "idler", "--format", "md", "--output", "-")
    assert "paused: it was found stopped" in logs.out and "Created idle.txt" in logs.out
    resumed = cli("task", "send", "idler", "create more.txt with yy")
    assert resumed.code == 0, resumed.err
    assert "Resumed task idler" in resumed.out


def test_5_presets_applied_are_the_presets_recorded(cli: Cli) -> None:
    default = cli("task", "create", "hi", "--template", "demo", "--name", "dflt", "-o", "json")
    none = cli(
        "task", "create", "hi", "--template", "demo", "--name", "nopre", "--no-preset",
        "-o", "json",
    )  # fmt: skip
    assert default.code == 0 and none.code == 0, default.err + none.err
    assert (default.json()["preset"], default.json()["parameters"]["speed"]) == ("quick", "4")
    assert "preset" not in none.json() and none.json()["parameters"]["speed"] == "1"
    both = cli("task", "create", "hi", "--template", "demo", "--preset", "quick", "--no-preset")
    assert both.code == 2 and "not allowed with argument" in both.err
