"""What every agent adapter declares: how to launch and resume the agent, and how to read it.

An adapter is mostly data (stability window, interrupt keys, which signals it has) plus a few
small functions: the screen detectors, the reply cleanup, the files to seed before launch, and
the mapping of the agent's own hook events to states.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import msgfmt
from ..model import AgentState, ScreenKind, ScreenReading

ESC = b"\x1b"


@dataclass
class LaunchContext:
    """What the bridge knows when it starts (or restarts) the agent."""

    argv: list[str]  # the agent command line given after ``--``
    workdir: str
    env: dict[str, str]  # the environment the agent will get (secrets included; never logged)
    runtime_dir: str  # the bridge's private folder (hook script, settings)
    session_id: str  # stable per task: lets agents with sessions resume their own
    bridge_url: str  # where hooks report, e.g. http://127.0.0.1:3284
    signal_token: str  # a token that may only post signals, never drive the agent
    hook_command: str  # the shell command that forwards a hook event to the bridge
    resuming: bool = False  # a state file was loaded: the agent ran here before

    @property
    def home(self) -> str:
        return self.env.get("HOME") or os.path.expanduser("~")


@dataclass
class LaunchPlan:
    """The final command line and environment for the agent."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # human-readable, for the bridge's log


class Adapter:
    """The generic terminal agent; subclasses override what they know better."""

    name = "custom"
    window = 2.0  # seconds of an unchanged screen that count as stable
    idle_on_stable = True  # with no detectors, stability is the only idle signal
    interrupt_keys = ESC
    has_hooks = False

    def default_command(self) -> list[str]:
        """The agent's usual command line, used when none (or only flags) is given."""
        return []

    def command(self, ctx: LaunchContext) -> list[str]:
        """``-- cmd args``: that command; ``-- --flag ...``: the default command plus the flags."""
        argv = list(ctx.argv)
        if not argv or argv[0].startswith("-"):
            default = self.default_command()
            if not default:
                raise ValueError("no agent command given (put it after --)")
            argv = [*default, *argv]
        return argv

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        return LaunchPlan(self.command(ctx), {})

    def classify(self, lines: list[str]) -> ScreenReading:
        # agentapi's readiness rule: the input box is on screen when cutting it changes the text.
        if msgfmt.remove_input_box(lines) != msgfmt.trim_blank_lines(lines):
            return ScreenReading(ScreenKind.READY)
        return ScreenReading(ScreenKind.UNKNOWN)

    def clean_reply(self, before: list[str], after: list[str], user_input: str) -> str:
        reply = msgfmt.remove_echo(msgfmt.new_lines(before, after), user_input)
        return "\n".join(msgfmt.trim_blank_lines(msgfmt.remove_input_box(reply)))

    def initial_message(self, lines: list[str]) -> str:
        """Message 0: the screen the agent showed at start, without its input box."""
        return "\n".join(msgfmt.remove_input_box(lines))

    def answer_keys(self, text: str) -> bytes:
        """The keys that answer a dialog: menus react to a single key, prompts need Enter."""
        return text.encode() if len(text) == 1 else text.encode() + b"\r"

    def hook_state(self, event: str, payload: Mapping[str, Any]) -> tuple[AgentState, str] | None:
        """Map one of the agent's hook events to a state and message; None to ignore it."""
        return None

    def transcript_reply(self, payload: Mapping[str, Any]) -> str | None:
        """The agent's reply for the turn that just ended, from a structured source."""
        return None
