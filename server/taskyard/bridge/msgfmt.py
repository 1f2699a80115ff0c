"""Generic helpers that turn rendered terminal screens into conversation text.

These are pure functions over lists of screen lines (no I/O, no terminal state). The per-agent
screen rules in :mod:`taskyard.bridge.adapters` compose them. The approach follows agentapi's
``lib/msgfmt``: the agent's reply is the part of the screen that is new since the user's message
was typed, minus the echo of that message at the top and minus the input box at the bottom.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "collapse_blank_runs",
    "is_border",
    "last_nonblank",
    "new_lines",
    "remove_echo",
    "remove_input_box",
    "split_lines",
    "trim_blank_lines",
]

# A box border is a run of box-drawing dashes: solid (most TUIs) or dashed (Claude's diff frames).
_BORDER = re.compile(r"[─━]{3,}|╌{3,}")
# A prompt line inside an input box: a marker (optionally after a word such as aider's "diff")
# followed by a space or the end of the line.
_PROMPT = re.compile(r"^\s*(?:[A-Za-z][\w-]*(?: multi)?)?[>\u276f\u203a│|](?:\s|$)")

# Echo removal parameters, as agentapi tuned them against real agents.
_ECHO_PREFIX_CHARS = 6  # characters of the input's first line searched for
_ECHO_SEARCH_LINES = 5  # search window: the first lines of the message...
_ECHO_SEARCH_CHARS = 25  # ...or at least this many characters, whichever is more
_ECHO_LOOKAHEAD = 5  # tolerated characters dropped or inserted by the agent's rendering


def split_lines(text: str) -> list[str]:
    """Split screen text into right-stripped lines (the form every helper expects)."""
    return [line.rstrip() for line in text.split("\n")]


def is_border(line: str) -> bool:
    """True for a horizontal rule such as ``────`` or ``╌╌╌╌`` (possibly framed or indented)."""
    stripped = line.strip()
    return (
        bool(stripped)
        and bool(_BORDER.search(stripped))
        and len(set(stripped) - set("─━╌ ╭╮╰╯┌┐└┘├┤")) == 0
    )


def last_nonblank(lines: Sequence[str]) -> int:
    """Index of the last line with visible text, or -1 for an empty screen."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            return index
    return -1


def trim_blank_lines(lines: Sequence[str]) -> list[str]:
    """Drop blank lines at the start and the end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return list(lines[start:end])


def collapse_blank_runs(lines: Sequence[str]) -> list[str]:
    """Replace each run of blank lines by a single empty line (TUIs pad generously)."""
    out: list[str] = []
    for line in lines:
        if line.strip():
            out.append(line)
        elif not out or out[-1] != "":
            out.append("")
    return out


def new_lines(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """The part of ``after`` that is new since ``before``, as agentapi splits messages.

    Leading lines of ``after`` that are blank or occur anywhere in ``before`` are dropped (a set
    comparison: the old conversation may have scrolled, so positions cannot be compared), then
    blank lines are trimmed. The first line not seen before starts the new text.
    """
    seen = {line.rstrip() for line in before}
    start = 0
    while start < len(after) and (not after[start].strip() or after[start].rstrip() in seen):
        start += 1
    return trim_blank_lines(after[start:])


def _compact(lines: Sequence[str]) -> tuple[str, list[int]]:
    """Characters of the lines without whitespace, and the line index of each character."""
    chars: list[str] = []
    where: list[int] = []
    for index, line in enumerate(lines):
        for char in line:
            if not char.isspace():
                chars.append(char)
                where.append(index)
    return "".join(chars), where


def remove_echo(lines: Sequence[str], user_input: str) -> list[str]:
    """Drop the echo of ``user_input`` from the top of a reply, fuzzily (agentapi's method).

    Whitespace is ignored, since the TUI rewraps the input. The first few characters of the
    input's first line are searched near the top of the reply; from there both texts are walked
    forward together, allowing a few characters to be skipped on either side (some agents drop
    markup such as code fences). Every line up to the last echoed character is removed.
    """
    first_line = next((line for line in user_input.split("\n") if line.strip()), "")
    prefix = "".join(first_line.split())[:_ECHO_PREFIX_CHARS]
    if not prefix:
        return list(lines)
    text, where = _compact(lines)
    window = sum(1 for line_index in where if line_index <= _ECHO_SEARCH_LINES)
    window = min(max(window, _ECHO_SEARCH_CHARS), len(text))
    start = text[:window].find(prefix)
    if start == -1:
        return list(lines)
    wanted = "".join(user_input.split())
    text_pos, input_pos = start, 0
    while True:
        step = _next_match(text, text_pos, wanted, input_pos)
        if step is None:
            break
        text_pos, input_pos = step
    return list(lines[where[text_pos] + 1 :])


def _next_match(text: str, text_pos: int, wanted: str, input_pos: int) -> tuple[int, int] | None:
    """The next pair of equal characters within the lookahead of both positions."""
    for i in range(1, _ECHO_LOOKAHEAD + 1):
        for j in range(1, _ECHO_LOOKAHEAD + 1):
            if input_pos + i >= len(wanted) or text_pos + j >= len(text):
                return None
            if wanted[input_pos + i] == text[text_pos + j]:
                return text_pos + j, input_pos + i
    return None


def is_prompt_line(line: str) -> bool:
    """True for an input-box prompt line: ``> ...``, ``│ ...``, ``diff> ...`` or a chevron."""
    return bool(_PROMPT.match(line))


def remove_input_box(lines: Sequence[str], window: int = 12) -> list[str]:
    """Cut the agent's input box (and anything below it, such as a footer) off the bottom.

    The box is a border line directly followed by a prompt line, looked for among the last
    ``window`` non-blank-trimmed lines, lowest first. Without such a box the lines are returned
    unchanged, so a reply is never truncated by a guess.
    """
    trimmed = trim_blank_lines(lines)
    lowest = max(len(trimmed) - window, 0)
    for index in range(len(trimmed) - 2, lowest - 1, -1):
        if is_border(trimmed[index]) and is_prompt_line(trimmed[index + 1]):
            return trimmed[:index]
    return trimmed
