"""Screen rules for Claude Code's TUI (checked against 2.1.197 at 100x30).

Pure functions over rendered screen lines. What the screen looks like, bottom up:

* idle: an input box (a ``────`` rule, the chevron prompt with the typed text, a rule) and a
  footer such as
  ``? for shortcuts`` or ``⏵⏵ accept edits on (shift+tab to cycle)``;
* working: the same box, plus a spinner line above it (``✽ Forging…``) and ``esc to interrupt``
  in the footer; the box stays visible (and typeable) while Claude works;
* asking: the box is replaced by a dialog, a question (``Do you want to proceed?``, ``Do you
  want to create x?``) above numbered options (``1. Yes`` ... ``3. No``, the chevron marking the
  highlighted one), then ``Esc to cancel``.

A finished turn ends with a summary line (``✻ Cooked for 3s``) whose verb is random; replies
leave it out, as they leave out the echoed prompt, the input box and the footer.
"""

from __future__ import annotations

import re

from taskyard.bridge import msgfmt
from taskyard.bridge.model import ScreenKind, ScreenReading

__all__ = ["classify", "clean_reply", "has_input_box"]

CHEVRON = "\u276f"  # Claude's prompt and option cursor (looks like ">", is not)
_PROMPT = re.compile(r"^\s*[\u276f>]\s?(.*)$")
# A numbered option of a dialog; the highlighted one carries the chevron cursor.
_OPTION = re.compile(r"^\s*(?:\u276f\s*)?\d+\.\s+\S")
_QUESTION = re.compile(r"^\s*(\S.*\?)\s*$")
# The working spinner: a glyph, a made-up verb ending in an ellipsis, maybe "(3s · ↓ 20 tokens)".
_SPINNER = re.compile(r"^\s*[·✢✳✶✻✽*\u2217]\s+\S[^…]*…")
# The end-of-turn summary (``✻ Worked for 5s``, ``✻ Sautéed for 1m 2s``).
_SUMMARY = re.compile(r"^\s*[✻✽✶✳✢·*]\s+\S+ for \d+[hms]")
_BUSY_FOOTER = "esc to interrupt"
_DIALOG_FOOTER = re.compile(r"\besc to cancel\b", re.I)


def classify(lines: list[str]) -> ScreenReading:
    """Tell whether Claude Code waits for input, works, or asks the user something."""
    rows = [line.rstrip() for line in lines]
    question = _dialog_question(rows)
    if question is not None:
        return ScreenReading(ScreenKind.PERMISSION, question)
    box = _input_box(rows)
    footer = rows[box[1] + 1 :] if box else rows[-4:]
    above = rows[max(box[0] - 8, 0) : box[0]] if box else rows
    if any(_BUSY_FOOTER in row.lower() for row in footer) or any(_SPINNER.match(r) for r in above):
        return ScreenReading(ScreenKind.BUSY)
    if box is None:
        return ScreenReading(ScreenKind.UNKNOWN)
    top, bottom = box
    inside = [row for row in rows[top + 1 : bottom] if row.strip()]
    prompt = _PROMPT.match(inside[0]) if len(inside) == 1 else None
    if prompt and not prompt.group(1).strip():
        return ScreenReading(ScreenKind.READY)
    # Text in the box: typed but not sent, or a message Claude put back after an interrupt.
    return ScreenReading(ScreenKind.UNKNOWN)


def clean_reply(before: list[str], after: list[str], user_input: str) -> str:
    """Claude's reply to ``user_input``: the new screen text without echo, box and turn summary."""
    lines = msgfmt.new_lines(before, after)
    lines = msgfmt.remove_echo(lines, user_input)
    lines = msgfmt.remove_input_box(lines)
    last = msgfmt.last_nonblank(lines)
    if last >= 0 and _SUMMARY.match(lines[last]):
        lines = lines[:last]
    # Claude pads its tool-result gutter ("  ⎿  Done") with a no-break space.
    return "\n".join(msgfmt.trim_blank_lines(lines)).replace("\u00a0", " ")


def has_input_box(lines: list[str]) -> bool:
    """True when Claude's input box is on screen (empty or holding text)."""
    return _input_box([line.rstrip() for line in lines]) is not None


def _input_box(rows: list[str]) -> tuple[int, int] | None:
    """Indices of the top and bottom rules of the lowest input box, or None when none is shown.

    The box may hold several lines (multi-line input); its first line is the chevron prompt.
    """
    rules = [i for i, row in enumerate(rows) if msgfmt.is_border(row) and "╌" not in row]
    for bottom_index in range(len(rules) - 1, 0, -1):
        top, bottom = rules[bottom_index - 1], rules[bottom_index]
        first = next((row for row in rows[top + 1 : bottom] if row.strip()), "")
        if bottom - top >= 2 and _PROMPT.match(first):
            return top, bottom
    return None


def _dialog_question(rows: list[str]) -> str | None:
    """The question of a dialog at the bottom of the screen; None when no dialog is open.

    A dialog is a run of numbered options with the chevron cursor on one of them, below the last
    input-box rule, usually with ``Esc to cancel`` under it. The question is the nearest line
    ending in ``?`` above the options.
    """
    last = msgfmt.last_nonblank(rows)
    if last < 0:
        return None
    start = max(last - 25, 0)
    options = [i for i in range(start, last + 1) if _OPTION.match(rows[i])]
    has_cursor = any(rows[i].lstrip().startswith(CHEVRON) for i in options)
    footer = any(_DIALOG_FOOTER.search(row) for row in rows[start : last + 1])
    if len(options) < 2 or not has_cursor or not footer or _input_box(rows[options[-1] :]):
        return None
    for index in range(options[0] - 1, start - 1, -1):
        if msgfmt.is_border(rows[index]) and "╌" not in rows[index]:
            break
        match = _QUESTION.match(rows[index])
        if match:
            return match.group(1).strip()
    return "Claude Code asks for a decision"
