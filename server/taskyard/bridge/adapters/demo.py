"""The built-in demo agent: a real terminal agent of ours that needs no API key.

It is launched through the bridge itself (``<bridge> demo-agent``), so it exists wherever the
bridge does, including inside containers that only have ``python3``. Its sessions live in the
workdir, and it resumes them like Claude Code does: by a fixed session id per task.
"""

from __future__ import annotations

import os
import sys

from ..model import ScreenReading
from . import demo_screen
from .base import Adapter, LaunchContext, LaunchPlan

SELF_ARGV: list[str] = [sys.executable, "-m", "taskyard.bridge"]


class DemoAdapter(Adapter):
    name = "demo"
    window = 0.2  # the spinner redraws every 0.1 s: two quiet frames mean it stopped
    idle_on_stable = False

    def default_command(self) -> list[str]:
        return [*SELF_ARGV, "demo-agent"]

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        argv = self.command(ctx)
        argv += ["--workdir", ctx.workdir]
        session_file = os.path.join(ctx.workdir, ".taskyard-demo", f"{ctx.session_id}.jsonl")
        if os.path.exists(session_file):
            return LaunchPlan(
                [*argv, "--resume", ctx.session_id], {}, [f"resuming demo session {ctx.session_id}"]
            )
        return LaunchPlan([*argv, "--session-id", ctx.session_id], {})

    def classify(self, lines: list[str]) -> ScreenReading:
        return demo_screen.classify(lines)

    def clean_reply(self, before: list[str], after: list[str], user_input: str) -> str:
        return demo_screen.clean_reply(before, after, user_input)
