"""Finds and stops the bridge processes a test started, so no run leaves agents behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def bridges_under(folder: Path) -> list[int]:
    """Pids of bridge and agent processes whose command line mentions ``folder``."""
    needle = str(folder).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if b"taskyard.bridge" in cmd and needle in cmd:
            found.append(int(entry))
    return found


def stop_bridges_under(folder: Path, grace: float = 3.0) -> int:
    """SIGTERM, then SIGKILL after ``grace``, every bridge under ``folder``; returns how many."""
    pids = bridges_under(folder)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end and bridges_under(folder):
        time.sleep(0.05)
    for pid in bridges_under(folder):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)
