"""Claude Code: hooks for instant status, its transcript for the conversation, its own resume.

Before launch the adapter seeds ``~/.claude.json`` (onboarding done, the workdir trusted, the API
key approved) so the TUI starts straight at its prompt, and writes a settings file registering
the bridge's hook for every event; the file is passed with ``--settings`` so the hooks apply to
this launch only. Each task has a fixed session id: ``--session-id`` the first time,
``--resume`` once its transcript exists, so a restarted bridge continues the same session and
never re-runs the prompt.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from .. import hooks
from ..model import AgentState, ScreenKind, ScreenReading
from . import claude_screen
from .base import Adapter, LaunchContext, LaunchPlan

_SESSION_FLAGS = {"--resume", "-r", "--session-id", "--continue", "-c"}


def config_dir(env: Mapping[str, str], home: str) -> str:
    return env.get("CLAUDE_CONFIG_DIR") or os.path.join(home, ".claude")


def transcript_path(env: Mapping[str, str], home: str, workdir: str, session_id: str) -> str:
    """Where Claude Code keeps a session's transcript (``projects/<cwd, non-alnum → ->``)."""
    slug = re.sub(r"[^A-Za-z0-9]", "-", os.path.realpath(workdir))
    return os.path.join(config_dir(env, home), "projects", slug, f"{session_id}.jsonl")


def seed_claude_json(path: str, workdir: str, api_key: str) -> None:
    """Merge the onboarding and trust entries into ``~/.claude.json``, keeping everything else."""
    try:
        with open(path, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
    except (OSError, ValueError):
        data = {}
    data.setdefault("hasCompletedOnboarding", True)
    data.setdefault("theme", "dark")
    data.setdefault("bypassPermissionsModeAccepted", True)
    projects = data.setdefault("projects", {})
    for key in {workdir, os.path.realpath(workdir)}:
        entry = projects.setdefault(key, {})
        entry["hasTrustDialogAccepted"] = True
        entry.setdefault("hasCompletedProjectOnboarding", True)
    if api_key:
        responses = data.setdefault("customApiKeyResponses", {"approved": [], "rejected": []})
        approved = responses.setdefault("approved", [])
        if api_key[-20:] not in approved:
            approved.append(api_key[-20:])
    hooks.write_json(path, data)


class ClaudeAdapter(Adapter):
    name = "claude"
    window = 1.5
    idle_on_stable = False
    has_hooks = True

    def default_command(self) -> list[str]:
        return ["claude"]

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        argv = self.command(ctx)
        home = ctx.home
        seed_claude_json(
            os.path.join(home, ".claude.json"), ctx.workdir, ctx.env.get("ANTHROPIC_API_KEY", "")
        )
        settings = os.path.join(ctx.runtime_dir, "claude-settings.json")
        hooks.write_json(settings, hooks.claude_settings(ctx.hook_command, ctx.bridge_url))
        argv += ["--settings", settings]
        notes = [f"claude hooks registered in {settings}"]
        if not _SESSION_FLAGS.intersection(argv):
            transcript = transcript_path(ctx.env, home, ctx.workdir, ctx.session_id)
            if os.path.exists(transcript):
                argv += ["--resume", ctx.session_id]
                notes.append(f"resuming Claude session {ctx.session_id}")
            else:
                argv += ["--session-id", ctx.session_id]
        env = {"DISABLE_AUTOUPDATER": "1", "DISABLE_INSTALLATION_CHECKS": "1"}
        return LaunchPlan(argv, env, notes)

    def classify(self, lines: list[str]) -> ScreenReading:
        reading = claude_screen.classify(lines)
        if reading.kind is ScreenKind.UNKNOWN and claude_screen.has_input_box(lines):
            # Text in the box and no busy marker: a draft, or the prompt Claude puts back after
            # an interrupt (which fires no Stop hook). Claude waits for the user either way.
            return ScreenReading(ScreenKind.READY, "Waiting for input (draft in the input box)")
        return reading

    def clean_reply(self, before: list[str], after: list[str], user_input: str) -> str:
        return claude_screen.clean_reply(before, after, user_input)

    def hook_state(self, event: str, payload: Mapping[str, Any]) -> tuple[AgentState, str] | None:
        tool = str(payload.get("tool_name", ""))
        if event == "UserPromptSubmit":
            return AgentState.WORKING, "Working on: " + _first_line(str(payload.get("prompt", "")))
        if event == "PreToolUse":
            return AgentState.WORKING, f"Running {tool}{_tool_detail(payload)}"
        if event == "PostToolUse":
            return AgentState.WORKING, f"Ran {tool}"
        if event == "PermissionRequest":
            return AgentState.NEEDS_INPUT, f"Permission needed: {tool}{_tool_detail(payload)}"
        if event == "Notification" and payload.get("notification_type") == "permission_prompt":
            return AgentState.NEEDS_INPUT, _first_line(str(payload.get("message", "")))
        if event == "Stop" and not payload.get("agent_id"):
            return AgentState.IDLE, _first_line(str(payload.get("last_assistant_message", "")))
        return None

    def transcript_reply(self, payload: Mapping[str, Any]) -> str | None:
        path = payload.get("transcript_path")
        turn = last_assistant_text(str(path)) or "" if path else ""
        last = payload.get("last_assistant_message")
        last = last.strip() if isinstance(last, str) else ""
        # The Stop hook can arrive before Claude has flushed the final message to the
        # transcript: the payload's copy of it completes the turn.
        if last and not turn.rstrip().endswith(last):
            turn = f"{turn}\n\n{last}" if turn else last
        return turn or None


def last_assistant_text(path: str) -> str | None:
    """The text of the assistant's messages after the last real user prompt in a transcript."""
    try:
        with open(path, encoding="utf-8") as fh:
            entries = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return None
    texts: list[str] = []
    for entry in entries:
        message = entry.get("message") or {}
        content = message.get("content")
        if entry.get("type") == "user" and isinstance(content, str):
            texts = []
        elif entry.get("type") == "assistant" and isinstance(content, list):
            texts.extend(_block_text(b) for b in content)
    joined = "\n\n".join(t for t in texts if t.strip())
    return joined or None


def _block_text(block: Mapping[str, Any]) -> str:
    """A transcript content block as chat text: text as is, a tool call as one short line."""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_use":
        return f"▸ {block.get('name', 'tool')}{_tool_detail({'tool_input': block.get('input')})}"
    return ""


def _first_line(text: str, limit: int = 160) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _tool_detail(payload: Mapping[str, Any]) -> str:
    tool_input = payload.get("tool_input") or {}
    if not isinstance(tool_input, dict):
        return ""
    for key in ("command", "file_path", "path", "url", "pattern"):
        if tool_input.get(key):
            return ": " + _first_line(str(tool_input[key]), 100)
    return ""
