"""What the demo agent does with a prompt: plan the turn, then act on the working directory.

``create FILE with TEXT`` / ``edit FILE TEXT`` write files, ``delete FILE`` removes one (asking
first), ``sleep N`` keeps the agent busy, ``fail`` exits with code 3, ``permission`` anywhere
asks before acting; anything else gets a canned reply. Nothing leaves the working directory,
and the template's parameters (``TASKYARD_DEMO_MAX_FILES``, ``TASKYARD_DEMO_STYLE``) bound and
shape what a session may touch.
"""

from __future__ import annotations

import contextlib
import os
import re
from functools import partial
from pathlib import Path
from typing import Callable, NamedTuple

FAIL_TEXT = "Error: the demo agent failed on purpose (exit code 3)."
NOTHING_CHANGED = "Permission denied: nothing was changed."
HELP = [
    "create FILE with TEXT · edit FILE TEXT · delete FILE (asks first) · sleep N",
    "Mention 'permission' to be asked first; 'fail' exits with code 3; 'exit' quits.",
]


class Turn(NamedTuple):
    """One planned turn: a busy phase, an optional permission question, then an action."""

    act: Callable[[], list[str]]  # does the work and returns the reply lines
    seconds: float  # how long the spinner runs first
    verb: str = "Thinking"
    question: str = ""  # asked after the busy phase; "" acts without asking
    denied: str = ""  # the reply when permission is refused
    exit_code: int | None = None  # exit with this code after replying


def plan_turn(text: str, workdir: Path, think: float) -> Turn:
    """Choose what the agent does for ``text``; nothing happens until the turn's ``act`` runs."""
    low = text.lower()
    if re.match(r"\s*fail\b", low):
        return Turn(lambda: [FAIL_TEXT], think, exit_code=3)
    act, question, denied = _choose_action(text, workdir)
    sleep = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)", low)
    if sleep:
        seconds = float(sleep.group(1))
        return Turn(lambda: [f"Slept for {seconds:g} seconds."], seconds, "Sleeping")
    asks = "permission" in low or "delete" in low
    return Turn(act, think, question=question if asks else "", denied=denied)


def _choose_action(text: str, workdir: Path) -> tuple[Callable[[], list[str]], str, str]:
    """The action for a prompt, with the question to ask and the reply if permission is denied."""
    deleting = re.search(r"\bdelete\s+(\S+)", text, re.IGNORECASE)
    writing = re.search(r"\b(create|edit)\s+(\S+)(?:\s+(?:with\s+)?(.*))?", text, re.I | re.S)
    if deleting and not (writing and writing.start() < deleting.start()):  # the first verb wins
        name = _file_name(deleting.group(1))
        denied = f"Permission denied: {name} was not deleted."
        return partial(_delete, workdir, name), f"Do you want to delete {name}?", denied
    if writing:
        verb, name = writing.group(1).lower(), _file_name(writing.group(2))
        act = partial(_write, workdir, name, writing.group(3) or "", verb == "edit")
        return act, f"Do you want to {verb} {name}?", f"Permission denied: {name} was not changed."
    plan = "Plan: read the relevant files, make that change, then run the tests."
    reply = HELP if text.strip() in ("?", "/help") else [f"Demo reply to: {text}", plan]
    return lambda: reply, "Do you want to proceed?", NOTHING_CHANGED


def _file_name(raw: str) -> str:
    return raw.strip("\"'`").rstrip(".,;:!?")


def _inside(workdir: Path, name: str) -> Path | None:
    """The file's path, or None when it would escape the working directory."""
    path = (workdir / name).resolve()
    return path if workdir in path.parents else None


# The template's parameters reach the agent as environment (see templates/demo.toml).
TOUCHED: set[str] = set()


def _limits() -> tuple[int, bool]:
    """(most files one session may touch, whether replies explain each change)."""
    most = positive(os.environ.get("TASKYARD_DEMO_MAX_FILES", ""))
    detailed = os.environ.get("TASKYARD_DEMO_STYLE", "concise") == "detailed"
    return (int(most) if most else 1_000_000), detailed


def _write(workdir: Path, name: str, text: str, append: bool) -> list[str]:
    path = _inside(workdir, name)
    if path is None:
        return [f"Refusing to touch {name}: it is outside the working directory."]
    most, detailed = _limits()
    if name not in TOUCHED and len(TOUCHED) >= most:
        return [f"Refusing to touch {name}: this task may change at most {most} file(s)."]
    data = text if not text or text.endswith("\n") else text + "\n"
    verb = "Updated" if append and path.exists() else "Created"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a" if append else "w", encoding="utf-8") as handle:
            handle.write(data)
    except OSError as exc:
        return [f"Could not write {name}: {exc.strerror}."]
    TOUCHED.add(name)
    lines = [f"{verb} {name} ({len(data.encode())} bytes)."]
    if detailed:
        total = len(path.read_text(encoding="utf-8").splitlines())
        lines.append(f"Details: {name} now has {total} line(s); {len(TOUCHED)} file(s) changed.")
    return lines


def _delete(workdir: Path, name: str) -> list[str]:
    path = _inside(workdir, name)
    if path is None:
        return [f"Refusing to touch {name}: it is outside the working directory."]
    if not path.is_file():
        return [f"{name} does not exist; nothing to delete."]
    path.unlink()
    return [f"Deleted {name}."]


def positive(text: str) -> float:
    """``text`` as a non-negative number; 0 when it is not one."""
    with contextlib.suppress(ValueError):
        return max(0.0, float(text))
    return 0.0
