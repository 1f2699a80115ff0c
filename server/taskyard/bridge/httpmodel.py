"""The HTTP model of the bridge's server: requests, responses, problems and routing.

Handlers see only these types; :mod:`.httpserver` turns bytes on sockets into them and back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Callable, Union
from urllib.parse import unquote

from .httpmultipart import FormPart, MultipartError, parse_form, parse_header_params


class HttpError(Exception):
    """Raise from a handler or middleware to answer with an RFC 7807 problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.title = status, detail, title or reason_phrase(status)
        self.errors, self.headers = errors or [], headers or {}

    def to_response(self) -> Response:
        problem = {"type": "about:blank", "title": self.title, "status": self.status}
        problem.update(detail=self.detail, errors=self.errors)
        body = json.dumps(problem, ensure_ascii=False).encode()
        return Response(body, self.status, self.headers, content_type="application/problem+json")


@dataclass
class Request:
    """One request with its whole body; header names are lower-case."""

    method: str
    path: str  # percent-decoded
    query: dict[str, str]  # the last value wins when a name repeats
    headers: dict[str, str]
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    client: tuple[str, int] | None = None

    def json(self) -> Any:
        """Decode the body as JSON; rejects non-JSON content types and NaN/Infinity."""
        media_type, _ = parse_header_params(self.headers.get("content-type", "application/json"))
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise HttpError(415, f"expected an application/json body, got {media_type!r}")
        try:
            return json.loads(self.body, parse_constant=_reject_constant)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            raise HttpError(400, f"malformed JSON body: {exc}") from None

    def form(self, max_file_size: int) -> list[FormPart]:
        """Parse a multipart/form-data body; 413 when any part exceeds ``max_file_size``."""
        try:
            return parse_form(self.headers.get("content-type", ""), self.body, max_file_size)
        except MultipartError as exc:
            raise HttpError(exc.status, str(exc)) from None


class Response:
    """A complete response; the server adds Content-Length, Date and Cache-Control."""

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/plain; charset=utf-8",
    ) -> None:
        self.status, self.body = status, body
        self.headers = _lower_keys(headers, content_type if body else None)


class StreamResponse:
    """A response written chunk by chunk as ``chunks`` yields them (SSE); the server closes
    ``chunks`` when the client goes away or the server shuts down."""

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/event-stream",
    ) -> None:
        self.status, self.chunks = status, chunks
        self.headers = _lower_keys(headers, content_type)


Handler = Callable[[Request], Awaitable[Union[Response, StreamResponse]]]
Middleware = Callable[[Request], Awaitable[None]]


def json_response(obj: Any, status: int = 200) -> Response:
    body = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return Response(body, status, content_type="application/json")


class Router:
    """Maps ``METHOD /literal/{param}`` templates to handlers; literal segments beat parameters."""

    def __init__(self) -> None:
        # (template segments, handlers by method), sorted so that earlier literal segments win.
        self._routes: list[tuple[tuple[str, ...], dict[str, Handler]]] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        template = tuple(path.split("/")[1:])
        methods = next((m for t, m in self._routes if t == template), None)
        if methods is None:
            methods = {}
            self._routes.append((template, methods))
            self._routes.sort(key=lambda route: [_is_param(s) for s in route[0]])
        if method.upper() in methods:
            raise ValueError(f"duplicate route: {method} {path}")
        methods[method.upper()] = handler

    def resolve(self, method: str, raw_path: str) -> tuple[Handler, dict[str, str]]:
        """Find the handler for a still percent-encoded path; HttpError 404 or 405 otherwise."""
        segments = tuple(unquote(s) for s in raw_path.split("/")[1:])
        allowed: set[str] = set()
        for template, methods in self._routes:
            params = _match(template, segments)
            if params is None:
                continue
            handler = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if handler is not None:
                return handler, params
            allowed.update(methods)
        if not allowed:
            raise HttpError(404, f"no route for {raw_path}")
        allow = ", ".join(sorted(allowed | ({"HEAD"} if "GET" in allowed else set())))
        raise HttpError(405, f"{method} is not allowed here", headers={"Allow": allow})


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _match(template: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    """Return the path parameters when ``segments`` fits ``template``, else None."""
    if len(template) != len(segments):
        return None
    params: dict[str, str] = {}
    for want, got in zip(template, segments):
        if _is_param(want):
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _lower_keys(headers: dict[str, str] | None, content_type: str | None) -> dict[str, str]:
    result = {k.lower(): v for k, v in (headers or {}).items()}
    if content_type:
        result.setdefault("content-type", content_type)
    return result


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
