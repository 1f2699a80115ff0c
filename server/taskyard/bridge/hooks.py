"""The return path from the agent's own hooks to the bridge.

A tiny stand-alone script (written into the bridge's runtime folder at start) reads one hook
event as JSON on stdin and POSTs it to the bridge's signal endpoint. It is run with ``python3 -S``
(no site import: ~20 ms), gives up after a short timeout, and always exits 0, so a slow or absent
bridge can never block or break the agent. Outside a Taskyard-launched agent the environment
variables are missing and it does nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any

HOOK_SCRIPT = r'''"""Taskyard hook: forward one agent event to the bridge. Always exits 0."""
import json, os, socket, sys

def post(url, token, body):
    # A raw socket, not urllib: importing urllib (and ssl with it) costs ~80 ms per hook.
    hostport = url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    head = ("POST /taskyard/signal HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (hostport, token, len(body)))
    with socket.create_connection((host or "127.0.0.1", int(port or 80)), timeout=2) as sock:
        sock.sendall(head.encode() + body)
        sock.recv(64)

def main():
    url, token = os.environ.get("TASKYARD_BRIDGE_URL"), os.environ.get("TASKYARD_SIGNAL_TOKEN")
    if not url or not token:
        return  # not launched by Taskyard: stay out of the way
    kind = sys.argv[1] if len(sys.argv) > 1 else "hook"
    try:
        raw = sys.stdin.read() if kind == "hook" else ""
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        payload = {}
    event = payload.get("hook_event_name", "") if kind == "hook" else kind
    body = json.dumps({"source": "hook" if kind == "hook" else "notification",
                       "event": event, "payload": payload}).encode()
    post(url, token, body)

try:
    main()
except Exception:
    pass
sys.exit(0)
'''

CLAUDE_HOOK_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Notification",
    "Stop",
    "SessionEnd",
)
_WITH_MATCHER = {"PreToolUse", "PermissionRequest", "PostToolUse"}


def install_script(runtime_dir: str) -> str:
    """Write the hook script; returns its path."""
    os.makedirs(runtime_dir, exist_ok=True)
    path = os.path.join(runtime_dir, "taskyard-hook.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HOOK_SCRIPT)
    return path


def hook_command(script: str, *args: str, python: str = "") -> str:
    """The shell command an agent runs for a hook."""
    parts: list[str] = [python or sys.executable or "python3", "-S", script, *args]
    return " ".join(shlex.quote(p) for p in parts)


def claude_settings(command: str, bridge_url: str) -> dict[str, Any]:
    """Claude Code settings sending every event the bridge listens to straight to the bridge.

    Claude posts HTTP hooks itself (no process to start: a few ms instead of tens), with the
    signal token interpolated from its environment, so the token is never written to disk.
    ``SessionStart`` cannot be an HTTP hook in Claude Code, so it runs the command hook.
    """
    http = {
        "type": "http",
        "url": bridge_url.rstrip("/") + "/taskyard/hook",
        "timeout": 5,
        "headers": {"Authorization": "Bearer $TASKYARD_SIGNAL_TOKEN"},
        "allowedEnvVars": ["TASKYARD_SIGNAL_TOKEN"],
    }
    hooks: dict[str, Any] = {}
    for event in CLAUDE_HOOK_EVENTS:
        hook = {"type": "command", "command": command, "timeout": 5}
        entry: dict[str, Any] = {"hooks": [hook if event == "SessionStart" else http]}
        if event in _WITH_MATCHER:
            entry["matcher"] = "*"
        hooks[event] = [entry]
    return {"hooks": hooks}


def write_json(path: str, data: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)
