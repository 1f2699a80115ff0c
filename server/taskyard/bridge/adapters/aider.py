"""Aider: its notifications command says when it waits for input; its prompt confirms it.

Aider imports litellm lazily on the first message and prints nothing for ~6 s, so a quiet
screen never means idle here: only the prompt line (``diff> ``, empty) or the notification
does. Its confirmations (``Create new file ...? (Y)es/(N)o``) are line prompts, so answers
always end with Enter. On resume Aider reloads its own chat history file.
"""

from __future__ import annotations

from ..model import ScreenReading
from . import aider_screen
from .base import Adapter, LaunchContext, LaunchPlan


class AiderAdapter(Adapter):
    name = "aider"
    window = 2.0
    idle_on_stable = False
    interrupt_keys = b"\x03"  # Aider stops a reply on Ctrl-C; ESC means nothing to it

    def default_command(self) -> list[str]:
        return ["aider"]

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        argv = self.command(ctx)
        notes: list[str] = []
        if "--notifications-command" not in argv:
            argv += ["--notifications", "--notifications-command", ctx.hook_command + " notify"]
        if ctx.resuming and "--restore-chat-history" not in argv:
            argv.append("--restore-chat-history")
            notes.append("resuming Aider with its chat history")
        return LaunchPlan(argv, {}, notes)

    def classify(self, lines: list[str]) -> ScreenReading:
        return aider_screen.classify(lines)

    def clean_reply(self, before: list[str], after: list[str], user_input: str) -> str:
        return aider_screen.clean_reply(before, after, user_input)

    def answer_keys(self, text: str) -> bytes:
        return text.encode() + b"\r"
