"""Fake Anthropic Messages API for driving the real Claude Code CLI offline.

Speaks ``POST /v1/messages`` (JSON, or SSE with the full event sequence: message_start, ping,
content_block_start/delta/stop, message_delta, message_stop) and ``/v1/messages/count_tokens``.
The scenario comes from the last real user prompt (see :mod:`tests.fakes`): ``create`` answers with
a ``Write`` tool call, ``run`` with a ``Bash`` tool call, and once the tool result is back, with a
final text. Requests offering no tools (Claude's session-title call) get a short plain text.

In-process: ``server = FakeAnthropic().start()`` then ``ANTHROPIC_BASE_URL=server.base_url``.
Standalone: ``python -m tests.fakes.fake_anthropic --port 0`` prints the port it serves on.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

from . import (
    FakeServer,
    Handler,
    Scenario,
    content_text,
    parse_prompt,
    serve_main,
    strip_wrapping,
)

__all__ = ["FakeAnthropic", "plan_reply"]

_CWD = re.compile(r"Primary working directory:\s*(.+)")
_USAGE = {
    "input_tokens": 10,
    "output_tokens": 1,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}


def _system_text(req: dict[str, Any]) -> str:
    system = req.get("system") or ""
    return system if isinstance(system, str) else content_text(system)


def _last_prompt(conversation: list[dict[str, Any]]) -> tuple[int, str]:
    """Index and text of the last user message with words in it (tool results are not prompts)."""
    for index in range(len(conversation) - 1, -1, -1):
        message = conversation[index]
        if message.get("role") != "user":
            continue
        # Tool-result messages may carry system reminders too; those are no prompt either.
        text = strip_wrapping(content_text(message.get("content")))
        if text:
            return index, text
    return -1, ""


def _has_tool_result(messages: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(block, dict) and block.get("type") == "tool_result"
        for message in messages
        if isinstance(message.get("content"), list)
        for block in message["content"]
    )


def _aux_text(req: dict[str, Any]) -> str:
    """A short answer; JSON when the request demands a schema (the session-title call does)."""
    output_format = (req.get("output_config") or {}).get("format") or {}
    if output_format.get("type") != "json_schema":
        return "Fake session"
    properties = (output_format.get("schema") or {}).get("properties") or {}
    return json.dumps({name: "Fake session" for name in properties})


def _tool_use(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": "toolu_" + uuid.uuid4().hex[:24],
        "name": name,
        "input": tool_input,
    }


def plan_reply(req: dict[str, Any]) -> tuple[list[dict[str, Any]], str, float, Scenario]:
    """Decide the reply to one Messages request: (content blocks, stop_reason, sleep, scenario)."""
    # Claude Code 2.1 also sends role=system entries inside ``messages``; they are not the user's.
    conversation = [m for m in req.get("messages") or [] if m.get("role") != "system"]
    index, prompt = _last_prompt(conversation)
    scenario = parse_prompt(prompt)
    tools = {t.get("name") for t in req.get("tools") or [] if isinstance(t, dict)}
    if not tools:
        # Auxiliary calls (the session title): short, no delay, no tools.
        return [{"type": "text", "text": _aux_text(req)}], "end_turn", 0.0, scenario
    if _has_tool_result(conversation[index + 1 :]):
        done = {"create": f"Created {scenario.file}.", "run": f"Ran {scenario.command}."}
        text = done.get(scenario.kind, scenario.echo)
        return [{"type": "text", "text": text}], "end_turn", 0.0, scenario
    if scenario.kind == "create" and "Write" in tools:
        match = _CWD.search(_system_text(req))
        cwd = match.group(1).strip() if match else os.getcwd()
        path = os.path.join(cwd, scenario.file)  # Write insists on an absolute path
        block = _tool_use("Write", {"file_path": path, "content": scenario.text + "\n"})
        return [block], "tool_use", scenario.sleep, scenario
    if scenario.kind == "run" and "Bash" in tools:
        tool_input = {"command": scenario.command, "description": f"Run {scenario.command}"}
        return [_tool_use("Bash", tool_input)], "tool_use", scenario.sleep, scenario
    return [{"type": "text", "text": scenario.echo}], "end_turn", scenario.sleep, scenario


def _pieces(text: str, parts: int = 3) -> list[str]:
    """Split text into a few deltas, as the real API streams it."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class FakeAnthropic(FakeServer):
    """Fake Anthropic Messages API (stateless; see the module docstring)."""

    def handle(self, request: Handler, body: dict[str, Any] | None) -> None:
        path = request.path.split("?", 1)[0].rstrip("/")
        if body is None:
            # Claude Code probes GET / for connectivity; any quick answer will do.
            self.record({"method": request.command, "path": request.path})
            request.send_empty(404)
            return
        if path == "/v1/messages/count_tokens":
            self.record({"method": "POST", "path": request.path, "kind": "count_tokens"})
            request.send_json({"input_tokens": 10})
            return
        if path != "/v1/messages":
            self.record({"method": "POST", "path": request.path, "kind": "unknown"})
            error = {"type": "not_found_error", "message": f"no route {path}"}
            request.send_json({"type": "error", "error": error}, 404)
            return
        blocks, stop_reason, sleep, scenario = plan_reply(body)
        self.record(
            {
                "method": "POST",
                "path": request.path,
                "model": body.get("model"),
                "stream": bool(body.get("stream")),
                "tools": len(body.get("tools") or []),
                "messages": len(body.get("messages") or []),
                "prompt": scenario.prompt[:200],
                "scenario": scenario.kind,
                "reply": [b.get("name") or b["type"] for b in blocks],
                "user_agent": request.headers.get("User-Agent", ""),
            }
        )
        message = {
            "id": "msg_" + uuid.uuid4().hex[:24],
            "type": "message",
            "role": "assistant",
            "model": body.get("model") or "claude-fake",
            "stop_sequence": None,
        }
        if not body.get("stream"):
            if sleep and not request.hold(sleep):
                return
            usage = {**_USAGE, "output_tokens": 5}
            request.send_json(
                {**message, "content": blocks, "stop_reason": stop_reason, "usage": usage}
            )
            return
        self._stream(request, message, blocks, stop_reason, sleep)

    def _stream(
        self,
        request: Handler,
        message: dict[str, Any],
        blocks: list[dict[str, Any]],
        stop_reason: str,
        sleep: float,
    ) -> None:
        def event(name: str, **data: Any) -> None:
            request.write_sse(json.dumps({"type": name, **data}), event=name)

        request.start_sse()
        start = {**message, "content": [], "stop_reason": None, "usage": _USAGE}
        event("message_start", message=start)
        event("ping")
        # Holding before any content keeps Claude Code on its spinner, the "busy" screen.
        if sleep and not request.hold(sleep):
            return
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                event(
                    "content_block_start", index=index, content_block={"type": "text", "text": ""}
                )
                for piece in _pieces(block["text"]):
                    delta = {"type": "text_delta", "text": piece}
                    event("content_block_delta", index=index, delta=delta)
            else:
                event("content_block_start", index=index, content_block={**block, "input": {}})
                for piece in ["", *_pieces(json.dumps(block["input"]))]:
                    delta = {"type": "input_json_delta", "partial_json": piece}
                    event("content_block_delta", index=index, delta=delta)
            event("content_block_stop", index=index)
        delta = {"stop_reason": stop_reason, "stop_sequence": None}
        event("message_delta", delta=delta, usage={"output_tokens": 5})
        event("message_stop")


if __name__ == "__main__":
    serve_main(FakeAnthropic)
