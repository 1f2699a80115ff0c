"""Fake OpenAI chat-completions API for driving the real Aider CLI offline (via litellm).

Speaks ``POST /v1/chat/completions`` streaming (``data:`` chunks, optional usage chunk, ``[DONE]``)
and non-streaming, plus ``GET /v1/models``. The scenario comes from the last user message (see
:mod:`tests.fakes`). ``create`` answers with a one-line explanation and an edit that creates the
file, in the edit format the system prompt asks for: a SEARCH/REPLACE block with an empty SEARCH
for ``diff``, a whole-file listing otherwise. Aider's commit-message request gets a one-liner.

In-process: ``server = FakeOpenAI().start()`` then ``--openai-api-base {server.base_url}/v1``.
Standalone: ``python -m tests.fakes.fake_openai --port 0`` prints the port it serves on.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from . import FakeServer, Handler, Scenario, content_text, parse_prompt, serve_main

__all__ = ["FakeOpenAI", "plan_reply"]

FENCE = "```"


def _edit(scenario: Scenario, system: str) -> str:
    """The reply that makes aider create ``scenario.file``, in the edit format it asked for."""
    head = f"Creating {scenario.file}.\n\n{scenario.file}\n{FENCE}\n"
    if "SEARCH/REPLACE" in system:
        # An empty SEARCH section is aider's documented way to create a new file.
        return f"{head}<<<<<<< SEARCH\n=======\n{scenario.text}\n>>>>>>> REPLACE\n{FENCE}\n"
    return f"{head}{scenario.text}\n{FENCE}\n"


def strip_reminder(prompt: str, system: str) -> str:
    """Cut the system reminder that aider appends to the last user message after a blank line.

    The same reminder ends aider's system prompt, so the cut is at the first paragraph break after
    which the text also occurs in the system prompt.
    """
    start = prompt.find("\n\n")
    while start != -1:
        rest = prompt[start:].strip()
        if rest and rest[:200] in system:
            return prompt[:start]
        start = prompt.find("\n\n", start + 2)
    return prompt


def plan_reply(req: dict[str, Any]) -> tuple[str, float, Scenario]:
    """Decide the reply to one chat-completions request: (text, sleep, scenario)."""
    messages = [m for m in req.get("messages") or [] if isinstance(m, dict)]
    system = "\n".join(
        content_text(m.get("content")) for m in messages if m.get("role") == "system"
    )
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    scenario = parse_prompt(strip_reminder(users[-1], system) if users else "")
    if "commit message" in system.lower():
        # Aider's weak-model call for a commit message: a one-liner, never an edit.
        return "chore: apply requested changes", 0.0, scenario
    if scenario.kind == "create":
        return _edit(scenario, system), scenario.sleep, scenario
    return scenario.echo, scenario.sleep, scenario


class FakeOpenAI(FakeServer):
    """Fake OpenAI chat-completions API (stateless; see the module docstring)."""

    def handle(self, request: Handler, body: dict[str, Any] | None) -> None:
        path = request.path.split("?", 1)[0].rstrip("/")
        if body is None:
            self.record({"method": request.command, "path": request.path})
            if path.endswith("/models"):
                model = {"id": "fake", "object": "model", "created": 0, "owned_by": "taskyard"}
                request.send_json({"object": "list", "data": [model]})
            else:
                request.send_empty(404)
            return
        if not path.endswith("/chat/completions"):
            self.record({"method": "POST", "path": request.path, "kind": "unknown"})
            error = {"message": f"no route {path}", "type": "invalid_request_error"}
            request.send_json({"error": error}, 404)
            return
        text, sleep, scenario = plan_reply(body)
        self.record(
            {
                "method": "POST",
                "path": request.path,
                "model": body.get("model"),
                "stream": bool(body.get("stream")),
                "messages": len(body.get("messages") or []),
                "prompt": scenario.prompt[:200],
                "scenario": scenario.kind,
                "reply": text[:80],
                "user_agent": request.headers.get("User-Agent", ""),
            }
        )
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        base = {"id": completion_id, "created": int(time.time()), "model": body.get("model")}
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if not body.get("stream"):
            if sleep and not request.hold(sleep):
                return
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
            request.send_json(
                {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
            return

        def chunk(choices: list[dict[str, Any]], **extra: Any) -> None:
            data = {**base, "object": "chat.completion.chunk", "choices": choices, **extra}
            request.write_sse(json.dumps(data))

        def delta(content: dict[str, Any], finish: str | None = None) -> None:
            chunk([{"index": 0, "delta": content, "finish_reason": finish}])

        request.start_sse()
        delta({"role": "assistant", "content": ""})
        if sleep and not request.hold(sleep):
            return
        for line in text.splitlines(keepends=True):
            delta({"content": line})
        delta({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            chunk([], usage=usage)
        request.write_sse("[DONE]")


if __name__ == "__main__":
    serve_main(FakeOpenAI)
