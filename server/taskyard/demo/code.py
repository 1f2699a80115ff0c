"""The demo's code-out step: the task's work as the editor gets it, from ``taskyard/tasks/diff``.

The diff works the same for every provider (a local worktree or a container's folder, running
or paused), so the demo checks the agent's file there instead of looking into the folder.
"""

from __future__ import annotations

from typing import Any

from taskyard.demo.client import DemoError
from taskyard.demo.out import Out

PATCH_LINES = 8
"""How much of the patch the demo prints."""
MARKS = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R"}


def show_diff(out: Out, diff: dict[str, Any], expected: str) -> None:
    """Print the changed files and the patch's first lines; fail unless ``expected`` was added."""
    files = diff["files"]
    if not any(f["path"] == expected and f["change"] == "added" for f in files):
        listed = ", ".join(f"{f['change']} {f['path']}" for f in files) or "no files"
        raise DemoError(f"{expected} is not in the task's diff as an added file ({listed})")
    count = f"{len(files)} file{'' if len(files) == 1 else 's'} changed"
    out.ok("diff", f"{count} since commit {diff['base'][:12]} (taskyard/tasks/diff)")
    for f in files:
        counts = "binary" if f.get("binary") else f"+{f['additions']} -{f['deletions']}"
        out.detail(f"{MARKS[f['change']]} {f['path']}  {counts}")
    lines = diff["patch"].splitlines()
    for line in lines[:PATCH_LINES]:
        out.detail(f"│ {line}")
    if len(lines) > PATCH_LINES:
        out.detail(f"│ … {len(lines) - PATCH_LINES} more lines (save it as {diff['fileName']})")
