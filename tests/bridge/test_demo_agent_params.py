"""The demo template's parameters reach the demo agent and change what it does."""

from __future__ import annotations

from pathlib import Path

from .harness import BridgeProcess
from .test_bridge_demo import wait_reply


def test_max_files_and_detailed_style(tmp_path: Path) -> None:
    env = {"TASKYARD_DEMO_MAX_FILES": "1", "TASKYARD_DEMO_STYLE": "detailed"}
    proc = BridgeProcess(tmp_path, "demo", initial_prompt="create a.txt with one", env=env).start()
    try:
        reply = wait_reply(proc, "Details:")[-1]["content"]
        assert "a.txt now has 1 line(s)" in str(reply)
        proc.wait_state("idle")
        proc.send("create b.txt with two")
        wait_reply(proc, "at most 1 file(s)")
        assert not (proc.workdir / "b.txt").exists()
        assert (proc.workdir / "a.txt").exists()
    finally:
        proc.stop()
