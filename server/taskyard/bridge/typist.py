"""Typing a message into the agent's terminal, and knowing that the agent took it.

The sequence follows agentapi's, which was tuned on real agents: a hidden ``x`` + backspace (so
Claude Code does not echo the paste markers), the text as a bracketed paste when the program
asked for bracketed paste mode, a short wait for the echo to settle, then Enter, retried every
3 s until the screen reacts (15 s at most). Answers to a dialog are plain keys instead: a
permission menu reacts to the key itself, not to pasted text.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from .terminal import Terminal

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
BRACKETED_PASTE_MODE = 2004 << 5  # pyte stores private modes shifted left by 5


class DeliveryError(Exception):
    """The agent did not react to the message."""


class Typist:
    """Types into a terminal and waits on screen changes reported through :meth:`changed`."""

    def __init__(
        self,
        terminal: Terminal,
        sample: Callable[[], list[str]],
        paste_mode: Callable[[], bool],
        submit_timeout: float = 15.0,
    ) -> None:
        self._terminal = terminal
        self._sample = sample
        self._paste_mode = paste_mode
        self._submit_timeout = submit_timeout
        self._changes = 0
        self._event = asyncio.Event()

    def changed(self) -> None:
        """The screen changed (called by the bridge for every differing sample)."""
        self._changes += 1
        self._event.set()

    async def type_message(self, text: str) -> list[str]:
        """Type ``text`` and press Enter; returns the screen as it was before typing."""
        before = self._sample()
        if self._paste_mode():
            await self._terminal.write_async(b"x\x7f")
            await self._terminal.write_async(PASTE_START + text.encode() + PASTE_END)
        else:
            await self._terminal.write_async(text.replace("\n", "\r").encode())
        await self._settle(appear=2.0, quiet=0.15, cap=1.0)
        await self._submit()
        return before

    async def press(self, keys: bytes, settle: bool = True) -> list[str]:
        """Send raw keys (a dialog answer); returns the screen before them."""
        before = self._sample()
        await self._terminal.write_async(keys)
        if settle:
            await self._wait_change(2.0)
        return before

    async def _submit(self) -> None:
        deadline = time.monotonic() + self._submit_timeout
        while True:
            await self._terminal.write_async(b"\r")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if await self._wait_change(min(3.0, remaining)):
                return
        raise DeliveryError(
            f"the agent did not react to the message within {self._submit_timeout:.0f} s"
        )

    async def _settle(self, appear: float, quiet: float, cap: float) -> None:
        """Wait for the echo to show up, then for it to stop changing (each step may time out)."""
        if not await self._wait_change(appear):
            return
        end = time.monotonic() + cap
        while time.monotonic() < end:
            if not await self._wait_change(quiet):
                return

    async def _wait_change(self, timeout: float) -> bool:
        start = self._changes
        self._sample()
        if self._changes != start:
            return True
        self._event.clear()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            return self._changes != start
        return True
