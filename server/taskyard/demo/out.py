"""Terminal output of ``taskyard demo``: one line per event, each prefixed with the elapsed time.

The demo is read by people in a terminal and in CI logs, so lines stay short, a fixed-width tag
column says what each line is (``status``, ``log``, ``you``, ``agent``...), and ANSI colours are
used only when stdout is a terminal (and ``NO_COLOR`` is unset).
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import Any, TextIO

STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
TAG_WIDTH = 10
INDENT = " " * (10 + TAG_WIDTH)  # under the text column: "  12.34s  " + tag
_MARKDOWN = re.compile(r"\*\*|__|`|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")


def plain(markdown: str) -> str:
    """A template description's first sentence without Markdown emphasis, on one line."""
    text = " ".join(_MARKDOWN.sub("", markdown).split())
    end = text.find(". ")
    return text[: end + 1] if end >= 0 else text


def short(text: str, width: int = 70) -> str:
    """One line of at most ``width`` characters (for prompts and paths inside sentences)."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def describe_parameter(param: dict[str, Any]) -> str:
    """``name (widget min-max)`` for a template parameter as the wire carries it."""
    rule = param.get("validation") or {}
    bounds = f" {rule['min']:g}-{rule['max']:g}" if "min" in rule and "max" in rule else ""
    return f"{param['name']} ({param['formType']}{bounds})"


def size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KiB"


class Out:
    """Prints the demo's lines; see the module docstring."""

    def __init__(self, stream: TextIO | None = None, color: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        if color is None:
            color = self.stream.isatty() and not os.environ.get("NO_COLOR")
        self.color = color
        self.broken = False
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def paint(self, text: str, style: str) -> str:
        if not self.color or not style:
            return text
        codes = ";".join(STYLES[s] for s in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"

    def _write(self, text: str) -> None:
        if self.broken:
            return
        try:
            print(text, file=self.stream, flush=True)  # flushed: CI shows lines as they happen
        except BrokenPipeError:
            # The reader left (`| head`): lines are dropped from now on, so clean-up still runs;
            # the next section raises, which ends the demo.
            self.broken = True

    def title(self, text: str) -> None:
        self._write(self.paint(text, "bold"))

    def section(self, text: str) -> None:
        if self.broken:
            raise BrokenPipeError("the demo's output was closed")
        self._write("")
        self._write(self.paint(f"== {text}", "bold blue"))

    def line(self, tag: str, text: str, style: str = "", tag_style: str = "") -> None:
        """``  1.23s  tag      text``; continuation lines of ``text`` align under it."""
        stamp = self.paint(f"{self.elapsed():7.2f}s", "dim")
        label = self.paint(tag.ljust(TAG_WIDTH - 1), tag_style or style) + " "
        first, *rest = text.splitlines() or [""]
        self._write(f"{stamp}  {label}{self.paint(first, style)}")
        for more in rest:
            self._write(f"{INDENT}{self.paint(more, style)}")

    def detail(self, text: str, style: str = "") -> None:
        """A line under the previous one, without a time (lists, file contents)."""
        self._write(f"{INDENT}{self.paint(text, style)}")

    def ok(self, tag: str, text: str) -> None:
        self.line(tag, f"{self.paint('✓', 'green')} {text}")

    def bad(self, tag: str, text: str) -> None:
        self.line(tag, f"{self.paint('✗', 'red')} {text}")

    def error(self, text: str, detail: str = "") -> None:
        """The failure message, on stderr so that it stands out from the event stream."""
        color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
        head = f"taskyard demo failed: {text}"
        print("\n" + (f"\x1b[1;31m{head}\x1b[0m" if color else head), file=sys.stderr)
        for line in detail.splitlines():
            print(f"  | {line}", file=sys.stderr)
        sys.stderr.flush()
