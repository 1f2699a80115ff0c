"""A small asyncio HTTP/1.1 server on h11 that serves the bridge's AgentAPI-compatible API.

The bridge runs on the workspace's own python3 (3.9+) with only bundled pure-Python packages, so
it cannot use starlette/uvicorn. This module gives it routing with path parameters, middleware,
JSON and multipart bodies, RFC 7807 problem responses and streamed (SSE) responses, and keeps
bad clients from hurting good ones: each connection is its own task, headers must arrive within a
deadline, bodies are capped while they are read, and handler failures are logged, never echoed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, unquote

import h11

from .httpmodel import (
    Handler,
    HttpError,
    Middleware,
    Request,
    Response,
    Router,
    StreamResponse,
    json_response,
    reason_phrase,
)
from .httpmultipart import FormPart

__all__ = [
    "FormPart",
    "Handler",
    "HttpError",
    "HttpServer",
    "Middleware",
    "Request",
    "Response",
    "Router",
    "StreamResponse",
    "json_response",
]

_READ_SIZE = 64 * 1024
_LINGER_SECONDS = 2.0  # how long a closing connection swallows input the client still sends
_NO_BODY_STATUSES = frozenset({204, 304})
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "date"})


class HttpServer:
    """Serves a :class:`Router` on one TCP port, each connection in its own task."""

    def __init__(
        self,
        router: Router,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        middleware: Sequence[Middleware] = (),
        max_body: int = 16 * 1024 * 1024,
        log: logging.Logger | None = None,
        header_timeout: float = 30.0,  # also bounds keep-alive idling and silence mid-body
    ) -> None:
        self.router, self.middleware, self.max_body = router, tuple(middleware), max_body
        self.log, self.header_timeout = log or logging.getLogger(__name__), header_timeout
        self._host, self._port = host, port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server has not been started")
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and end every connection, open streams included."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self._closing or task is None:  # accepted just before close() ran
            writer.transport.abort()
            return
        self._tasks.add(task)
        try:
            await _Connection(self, reader, writer).run()
        except asyncio.CancelledError:
            # close() ended the connection. The task must not end cancelled: asyncio's streams
            # call task.exception() on it (3.11, 3.12), which logs a bogus "Exception in callback".
            pass
        finally:
            self._tasks.discard(task)


class _ClientGone(Exception):
    """The client closed or reset the connection, or timed out; nothing more can be sent."""


class _Connection:
    """Serves the requests of one TCP connection, one after the other."""

    def __init__(
        self, server: HttpServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._srv, self._log = server, server.log
        self._reader, self._writer = reader, writer
        self._h11 = h11.Connection(h11.SERVER)
        self._timer: asyncio.TimerHandle | None = None
        self._timed_out = False
        self._must_close = False  # the request body was left unread or a stream broke off
        peer = writer.get_extra_info("peername")
        self._client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None

    async def run(self) -> None:
        try:
            while await self._serve_one():
                pass
            if self._h11.their_state in (h11.SEND_BODY, h11.ERROR):
                await self._linger()
        except asyncio.CancelledError:
            self._writer.transport.abort()
            raise
        except _ClientGone:
            pass
        except Exception:
            self._log.exception("HTTP connection from %s failed", self._client)
        finally:
            self._disarm()
            self._close_transport()

    async def _serve_one(self) -> bool:
        """Answer one request; False when the connection must close."""
        self._arm(self._srv.header_timeout)  # a total deadline, so dribbling bytes does not help
        try:
            event = await self._next_event()
        except h11.RemoteProtocolError as exc:
            self._log.debug("malformed request from %s: %s", self._client, exc)
            self._must_close = True
            event = HttpError(exc.error_status_hint, str(exc)).to_response()
        finally:
            self._disarm()
        if isinstance(event, Response):
            await self._send(event, head_only=False)
            return False
        if not isinstance(event, h11.Request):
            return False  # ConnectionClosed: the client is done
        expecting_continue = self._h11.they_are_waiting_for_100_continue
        await self._send(await self._respond(event), head_only=event.method == b"HEAD")
        return await self._next_cycle(event, expecting_continue)

    async def _respond(self, event: h11.Request) -> Response | StreamResponse:
        """Run middleware, routing and the handler; every failure becomes a problem response."""
        raw_path, _, query = event.target.decode("ascii").partition("?")  # h11 checked: ASCII
        method = event.method.decode("ascii")
        try:
            if not raw_path.startswith("/"):
                raise HttpError(400, "the request target must be an absolute path")
            query_dict = dict(parse_qsl(query, keep_blank_values=True))
            headers = _header_dict(event.headers)
            request = Request(method, unquote(raw_path), query_dict, headers, client=self._client)
            for middleware in self._srv.middleware:  # before routing: a 401 must beat a 404
                await middleware(request)
            handler, request.path_params = self._srv.router.resolve(request.method, raw_path)
            request.body = await self._read_body(_content_length(event))
            result = await handler(request)
        except HttpError as exc:
            return exc.to_response()
        except _ClientGone:
            raise
        except Exception:
            # The exception text can hold secrets (tokens, file contents): log it, send a ref.
            ref = os.urandom(4).hex()
            self._log.exception("unhandled error in %s %s (ref %s)", method, raw_path, ref)
            return HttpError(500, f"unexpected error (ref {ref}), see the bridge log").to_response()
        if isinstance(result, (Response, StreamResponse)):
            return result
        self._log.error("the handler for %s returned %s, not a response", raw_path, type(result))
        return HttpError(500, "the handler returned no response").to_response()

    async def _read_body(self, length: int | None) -> bytes:
        limit = self._srv.max_body
        if length is not None and length > limit:
            self._must_close = True  # do not read what will be refused anyway
            raise HttpError(413, f"the request body is larger than {limit} bytes")
        if self._h11.they_are_waiting_for_100_continue:
            go_on = h11.InformationalResponse(status_code=100, headers=[])
            self._writer.write(self._h11.send(go_on))
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = await self._next_event(idle_timeout=self._srv.header_timeout)
            except h11.RemoteProtocolError as exc:
                self._must_close = True
                raise HttpError(400, f"malformed request body: {exc}") from None
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            if not isinstance(event, h11.Data):
                raise _ClientGone
            size += len(event.data)
            if size > limit:
                self._must_close = True
                raise HttpError(413, f"the request body is larger than {limit} bytes")
            chunks.append(event.data)

    async def _next_cycle(self, event: h11.Request, expecting_continue: bool) -> bool:
        """Get ready for the next request on this connection; False when it must close."""
        if self._must_close or self._h11.our_state is not h11.DONE:
            return False
        if self._h11.their_state is h11.SEND_BODY:
            # The request was refused before its body was read. A client waiting for
            # 100-continue may or may not send it now, so only a plain body can be skipped.
            if expecting_continue:
                return False
            try:
                await self._read_body(_content_length(event))
            except HttpError:
                return False
        if self._h11.their_state is not h11.DONE:
            return False
        self._h11.start_next_cycle()
        return True

    async def _next_event(self, idle_timeout: float | None = None) -> object:
        """Return the next h11 event, reading from the socket as needed."""
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            if idle_timeout is not None:
                self._arm(idle_timeout)
            try:
                data = await self._reader.read(_READ_SIZE)
            except OSError as exc:
                raise _ClientGone from exc
            finally:
                if idle_timeout is not None:
                    self._disarm()
            if self._timed_out:
                raise _ClientGone
            self._h11.receive_data(data)  # b"" tells h11 about the EOF

    async def _send(self, response: Response | StreamResponse, head_only: bool) -> None:
        try:
            start = self._start_line(response)
        except (h11.LocalProtocolError, ValueError, TypeError):
            self._log.exception("the handler built a response with a bad status or header")
            if isinstance(response, StreamResponse):
                await _aclose(response.chunks)
            response = HttpError(500, "the handler built an invalid response").to_response()
            start = self._start_line(response)
        if isinstance(response, StreamResponse):
            await self._send_stream(start, response, head_only)
            return
        out = [self._h11.send(start)]
        if response.body and not head_only and response.status not in _NO_BODY_STATUSES:
            out.append(self._h11.send(h11.Data(data=response.body)))
        out.append(self._h11.send(h11.EndOfMessage()))
        # One write, so headers and a small body share a packet. Not writelines(): on 3.12+ an
        # empty item (h11's EndOfMessage with Content-Length) makes it poll for writing forever.
        self._writer.write(b"".join(out))
        await self._drain()

    def _start_line(self, response: Response | StreamResponse) -> h11.Response:
        headers = response.headers
        fields = [(k, v) for k, v in headers.items() if k not in _FRAMING_HEADERS]
        fields.append(("date", formatdate(usegmt=True)))
        if "cache-control" not in headers:
            fields.append(("cache-control", "no-store"))
        if isinstance(response, Response) and response.status not in _NO_BODY_STATUSES:
            fields.append(("content-length", str(len(response.body))))
        if self._must_close:
            fields.append(("connection", "close"))
        reason = reason_phrase(response.status)
        return h11.Response(status_code=response.status, headers=fields, reason=reason)

    async def _send_stream(self, start: h11.Response, resp: StreamResponse, head: bool) -> None:
        try:
            self._writer.write(self._h11.send(start))
            await self._drain()
            complete = head or await self._pump_until_disconnect(resp.chunks)
        finally:
            await _aclose(resp.chunks)  # the handler's cleanup runs however the stream ends
        if not complete:
            self._must_close = True  # no terminating chunk: the client sees a cut-off body
            return
        self._writer.write(self._h11.send(h11.EndOfMessage()))
        await self._drain()

    async def _pump_until_disconnect(self, chunks: AsyncIterator[bytes]) -> bool:
        """Write chunks as they come until they end (True) or the client leaves (False)."""
        pump = asyncio.ensure_future(self._pump(chunks))
        watch = asyncio.ensure_future(self._watch_for_disconnect())
        try:
            await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            watch.cancel()
            await asyncio.gather(pump, watch, return_exceptions=True)
        if pump.cancelled():
            return False
        exc = pump.exception()
        if exc is not None and not isinstance(exc, _ClientGone):
            self._log.error("streamed response failed", exc_info=exc)
        return exc is None

    async def _pump(self, chunks: AsyncIterator[bytes]) -> None:
        async for chunk in chunks:
            if chunk:  # an empty chunk would read as the end of the body
                self._writer.write(self._h11.send(h11.Data(data=chunk)))
                await self._drain()

    async def _watch_for_disconnect(self) -> None:
        """Return when the client closes its side or sends more than a pipelined request."""
        pending = 0
        with contextlib.suppress(OSError):
            while pending <= _READ_SIZE:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    return
                pending += len(data)
                self._h11.receive_data(data)  # h11 keeps pipelined requests for the next cycle

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except OSError as exc:
            raise _ClientGone from exc

    async def _linger(self) -> None:
        # Closing a socket with unread input makes the kernel send RST, which can destroy the
        # error response before the client reads it; so half-close and swallow input a moment.
        self._arm(_LINGER_SECONDS)
        with contextlib.suppress(OSError):
            self._writer.write_eof()
            while await self._reader.read(_READ_SIZE):
                pass

    def _close_transport(self) -> None:
        transport = self._writer.transport
        if not transport.is_closing():
            transport.close()
        if transport.get_write_buffer_size():
            # close() waits to flush the send buffer; a client that never reads must not pin it.
            asyncio.get_running_loop().call_later(_LINGER_SECONDS, transport.abort)

    def _arm(self, seconds: float) -> None:
        # A timer rather than asyncio.wait_for: before 3.12, wait_for runs the read in an extra
        # task, which costs every request two more loop iterations while the loop is busy.
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._on_timeout)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timeout(self) -> None:
        self._log.debug("closing the HTTP connection from %s: read timed out", self._client)
        self._timed_out = True
        self._writer.transport.abort()  # the pending read then sees EOF


def _header_dict(headers: Any) -> dict[str, str]:
    """h11 gives lower-case names; repeated headers are joined as RFC 9110 §5.3 allows."""
    result: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("ascii"), raw_value.decode("latin-1")
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def _content_length(event: h11.Request) -> int | None:
    # h11 has already validated the header and collapsed repeats of one value.
    return next((int(v) for k, v in event.headers if k == b"content-length"), None)


async def _aclose(chunks: AsyncIterator[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
