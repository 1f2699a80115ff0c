"""The bridge's HTTP API: coder/agentapi's endpoints, plus Taskyard's under ``/taskyard/``.

Handlers only translate between HTTP and :class:`~.supervisor.Bridge`; every error leaves as an
RFC 7807 problem with a specific status. Security runs before routing: the Host header must be
allowed (against DNS rebinding, as agentapi) and every request must carry the bearer token; the
signal endpoint also accepts the signal-only token that hooks get.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
from typing import Any, Callable

from .httpserver import (
    Handler,
    HttpError,
    Request,
    Response,
    Router,
    StreamResponse,
    json_response,
)
from .openapi import openapi_document
from .supervisor import AgentBusy, Bridge
from .typist import DeliveryError

SIGNAL_PATHS = ("/taskyard/signal", "/taskyard/hook")  # what the hooks' own token may reach
SSE_HEADERS = {"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def host_check(allowed: list[str]) -> Callable[[Request], Any]:
    names = {h.lower() for h in allowed}

    async def check(request: Request) -> None:
        if "*" in names:
            return
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.lower() not in names:
            raise HttpError(
                400, f"Host header {host!r} is not allowed", title="Invalid host header"
            )

    return check


def token_check(token: str, signal_token: Callable[[], str]) -> Callable[[Request], Any]:
    async def check(request: Request) -> None:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if given and hmac.compare_digest(given.encode(), token.encode()):
            return
        is_signal = request.path in SIGNAL_PATHS and bool(given)
        if is_signal and hmac.compare_digest(given.encode(), signal_token().encode()):
            return
        detail = "missing bearer token" if not given else "invalid bearer token"
        raise HttpError(401, detail, title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})

    return check


def _body_object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(422, "the request body must be a JSON object")
    return body


def _content(body: dict[str, Any]) -> str:
    content = body.get("content")
    if not isinstance(content, str):
        raise HttpError(422, "content must be a string", errors=[{"location": "body.content"}])
    return content


def build_router(bridge: Bridge, shutdown: Callable[[], None]) -> Router:
    """All routes of the bridge, bound to one :class:`Bridge`."""
    router = Router()
    for method, path, handler in [*_agentapi_routes(bridge), *_taskyard_routes(bridge, shutdown)]:
        router.add(method, path, handler)
    return router


def _agentapi_routes(bridge: Bridge) -> list[tuple[str, str, Handler]]:
    """coder/agentapi's endpoints, same paths and shapes."""
    cfg = bridge.config

    async def status(_: Request) -> Response:
        return json_response(
            {"status": bridge.status, "agent_type": bridge.adapter.name, "transport": "pty"}
        )

    async def messages(_: Request) -> Response:
        from .model import rfc3339

        return json_response(
            {
                "messages": [
                    {"id": m.id, "content": m.content, "role": m.role, "time": rfc3339(m.time)}
                    for m in bridge.conversation.messages
                ]
            }
        )

    async def post_message(request: Request) -> Response:
        body = _body_object(request)
        content, kind = _content(body), body.get("type")
        if kind == "raw":
            await _agent_io(bridge.send_raw(content))
        elif kind == "user":
            if not content.strip():
                raise HttpError(
                    422, "content must not be empty", errors=[{"location": "body.content"}]
                )
            await _agent_io(bridge.send_user(content))
        else:
            raise HttpError(
                422,
                f"unknown message type {kind!r}; expected 'user' or 'raw'",
                errors=[{"location": "body.type", "value": kind}],
            )
        return json_response({"ok": True})

    async def upload(request: Request) -> Response:
        parts = request.form(max_file_size=cfg.max_upload)
        files = [p for p in parts if p.name == "file" and p.filename is not None]
        if not files:
            raise HttpError(422, "a multipart field named 'file' with a file name is required")
        part = files[0]
        name = _safe_name(part.filename or "")
        folder = os.path.join(cfg.upload_dir, hashlib.sha256(part.data).hexdigest()[:16])
        path = os.path.join(folder, name)
        await asyncio.get_running_loop().run_in_executor(None, _write_file, path, part.data)
        return json_response({"ok": True, "filePath": path})

    async def events(_: Request) -> StreamResponse:
        return _sse(bridge.hub.stream({"agentapi"}, lambda: bridge.replay("agentapi")))

    async def openapi(_: Request) -> Response:
        return json_response(openapi_document())

    return [
        ("GET", "/status", status),
        ("GET", "/messages", messages),
        ("POST", "/message", post_message),
        ("POST", "/upload", upload),
        ("GET", "/events", events),
        ("GET", "/openapi.json", openapi),
    ]


def _taskyard_routes(
    bridge: Bridge, shutdown: Callable[[], None]
) -> list[tuple[str, str, Handler]]:
    """Our extensions, all under /taskyard/ so they never collide with agentapi's."""

    async def state(_: Request) -> Response:
        return json_response(bridge.state_json())

    async def screen(_: Request) -> Response:
        return json_response(bridge.screen_json())

    async def screen_stream(_: Request) -> StreamResponse:
        return _sse(bridge.hub.stream({"screen"}, lambda: bridge.replay("screen")))

    async def taskyard_events(_: Request) -> StreamResponse:
        return _sse(bridge.hub.stream({"taskyard"}, lambda: bridge.replay("taskyard")))

    async def queue_list(_: Request) -> Response:
        return json_response({"items": [_item(q) for q in bridge.outbox.items]})

    async def queue_add(request: Request) -> Response:
        content = _content(_body_object(request))
        if not content.strip():
            raise HttpError(422, "content must not be empty", errors=[{"location": "body.content"}])
        return json_response(_item(bridge.outbox.enqueue(content)), status=201)

    async def queue_cancel(request: Request) -> Response:
        if not bridge.outbox.cancel(request.path_params["id"]):
            raise HttpError(404, "no queued message with that id (already delivered or cancelled)")
        return json_response({"ok": True})

    async def signal(request: Request) -> Response:
        try:
            produced = bridge.signal(_body_object(request))
        except ValueError as exc:
            raise HttpError(422, str(exc)) from None
        return json_response({"ok": True, "state": produced})

    async def hook(request: Request) -> Response:
        # An agent's HTTP hook posts its raw event; an empty 200 tells it to carry on as usual.
        payload = _body_object(request)
        bridge.signal(
            {"source": "hook", "event": payload.get("hook_event_name", ""), "payload": payload}
        )
        return Response(b"", status=200)

    async def interrupt(_: Request) -> Response:
        await _agent_io(bridge.interrupt())
        return json_response({"ok": True})

    async def stop(_: Request) -> Response:
        asyncio.get_running_loop().call_soon(shutdown)
        return json_response({"ok": True}, status=202)

    return [
        ("GET", "/taskyard/state", state),
        ("GET", "/taskyard/screen", screen),
        ("GET", "/taskyard/screen/stream", screen_stream),
        ("GET", "/taskyard/events", taskyard_events),
        ("GET", "/taskyard/queue", queue_list),
        ("POST", "/taskyard/queue", queue_add),
        ("DELETE", "/taskyard/queue/{id}", queue_cancel),
        ("POST", "/taskyard/signal", signal),
        ("POST", "/taskyard/hook", hook),
        ("POST", "/taskyard/interrupt", interrupt),
        ("POST", "/taskyard/shutdown", stop),
    ]


async def _agent_io(action: Any) -> Any:
    """Run an action on the agent, mapping its failures to problems."""
    try:
        return await action
    except AgentBusy as exc:
        raise HttpError(
            409,
            f"message can only be sent when the agent is waiting for user input: {exc}",
            title="Agent busy",
        ) from None
    except DeliveryError as exc:
        raise HttpError(504, str(exc), title="Agent did not respond") from None
    except (BrokenPipeError, OSError):
        raise HttpError(409, "the agent process is not running", title="Agent exited") from None


def _sse(chunks: Any) -> StreamResponse:
    return StreamResponse(chunks=chunks, headers=dict(SSE_HEADERS))


def _item(q: Any) -> dict[str, str | float]:
    from .model import rfc3339

    return {"id": q.id, "content": q.content, "time": rfc3339(q.time)}


def _safe_name(filename: str) -> str:
    """The upload's base name; anything that could climb out of the upload folder is refused."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", "..") or _CONTROL.search(name) or len(name) > 255:
        raise HttpError(400, f"invalid upload file name {filename!r}", title="Invalid file name")
    if name != filename:
        raise HttpError(
            400, f"upload file name {filename!r} must not contain a path", title="Invalid file name"
        )
    return name


def _write_file(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
