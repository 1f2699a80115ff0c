"""Screen rules for Aider's terminal UI (checked against 0.86.2 at 100x30).

Pure functions over rendered screen lines. Aider is a line-oriented program, so the state is in
the last non-blank line:

* idle: the prompt ``diff> `` (the edit format, ``multi`` in multi-line mode), nothing typed after
  it; with the default pretty output a ``────`` rule and the files in the chat sit just above;
* working: a scanning spinner ``█░        Waiting for openai/fake`` (pretty output only; during
  the first second after Enter, and while the reply streams, the screen simply grows);
* asking: a line question ``Create new file? (Y)es/(N)o [Yes]: `` with its subject (the file
  name, the command) on the line(s) above.

``diff> some text`` as the last line is the user's message, typed or just sent: never READY.
Replies leave out the echoed prompt, the token report (``Tokens: 2.3k sent, 5 received.``),
and the rule, file list and prompt that close each turn.
"""

from __future__ import annotations

import re

from taskyard.bridge import msgfmt
from taskyard.bridge.model import ScreenKind, ScreenReading

__all__ = ["classify", "clean_reply"]

# "diff> ", "whole> ", "architect> ", "diff multi> ", "multi> ", or "> " without an edit format.
_PROMPT = re.compile(r"^(?:[a-z][\w-]*(?: multi)?|multi)?> ?(.*)$")
# A pending confirmation: the answer would follow the final ": ".
_QUESTION = re.compile(
    r"^(?P<question>.*?)\s*\(Y\)es/\(N\)o(?:/\([A-Z]\)[^\[]*?)*\s*\[[^\]]*\]:\s*$"
)
# Spinner frames are 10 cells of spaces with a two-cell scanner (░█ in unicode, =# in ascii).
_SPINNER = re.compile(r"^(?=[ ░█=#]{10} )(?=.{0,9}[░█=#])[ ░█=#]{10} +(\S.*)$")
_MAX_FILE_LINES = 20
_TOKENS = re.compile(r"^Tokens: \S+ sent(?:, \S+ cache \w+)*, \S+ received\.")


def classify(lines: list[str]) -> ScreenReading:
    """Tell whether Aider waits for input, works, or asks the user to confirm something."""
    rows = [line.rstrip() for line in lines]
    last = msgfmt.last_nonblank(rows)
    if last < 0:
        return ScreenReading(ScreenKind.UNKNOWN)
    line = rows[last]
    question = _QUESTION.match(line)
    if question:
        return ScreenReading(ScreenKind.PERMISSION, _permission_message(rows, last, question))
    if _SPINNER.match(line):
        return ScreenReading(ScreenKind.BUSY)
    prompt = _PROMPT.match(line)
    if prompt and not prompt.group(1).strip():
        return ScreenReading(ScreenKind.READY)
    return ScreenReading(ScreenKind.UNKNOWN)


def clean_reply(before: list[str], after: list[str], user_input: str) -> str:
    """Aider's reply to ``user_input``: new screen text without echo, token report and prompt."""
    lines = msgfmt.new_lines(before, after)
    lines = msgfmt.remove_echo(lines, user_input)
    lines = _remove_closing_prompt(lines)
    lines = [line for line in lines if not _TOKENS.match(line)]
    return "\n".join(msgfmt.trim_blank_lines(msgfmt.collapse_blank_runs(lines)))


def _permission_message(rows: list[str], last: int, question: re.Match[str]) -> str:
    """``Create new file 'hello.txt'?``: the question with its subject lines (aider bolds them)."""
    text = question.group("question").strip()
    subject: list[str] = []
    index = last - 1
    while index >= 0 and rows[index].strip() and not msgfmt.is_border(rows[index]):
        subject.insert(0, rows[index].strip())
        index -= 1
        if len(subject) == 3:  # a long shell script: its first lines are enough to recognise it
            break
    if not subject:
        return text
    quoted = "'" + " ".join(subject) + "'"
    return f"{text[:-1]} {quoted}?" if text.endswith("?") else f"{text} {quoted}"


def _remove_closing_prompt(lines: list[str]) -> list[str]:
    """Drop the empty prompt that ends a turn, with the file list and the rule drawn above it.

    Before each prompt aider draws a rule (pretty output) or an empty line (``--no-pretty``),
    then the files in the chat, one or more non-blank lines; the cut goes back to that rule.
    """
    trimmed = msgfmt.trim_blank_lines(lines)
    if not trimmed:
        return trimmed
    prompt = _PROMPT.match(trimmed[-1])
    if not prompt or prompt.group(1).strip():
        return trimmed
    index = len(trimmed) - 2
    while index >= 0 and trimmed[index].strip() and not msgfmt.is_border(trimmed[index]):
        index -= 1
        if len(trimmed) - index > _MAX_FILE_LINES:  # no rule in sight: keep what is not the prompt
            return trimmed[:-1]
    return trimmed[: max(index, 0)]
