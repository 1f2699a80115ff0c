"""The bridge's HTTP server against real sockets: routing, bodies, streams and hostile clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from taskyard.bridge.httpmultipart import MultipartError, parse_form
from taskyard.bridge.httpserver import (
    HttpError,
    HttpServer,
    Request,
    Response,
    Router,
    StreamResponse,
    json_response,
)

MAX_BODY = 64 * 1024
MAX_FILE = 1024
SECRET = "sk-live-do-not-leak-4242"
TOKEN = "t0k3n"
LOG = logging.getLogger("test.httpserver")


class App:
    """The handlers under test, and what they saw."""

    def __init__(self) -> None:
        self.calls = 0
        self.stream_queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.stream_closed = asyncio.Event()
        self.router = Router()
        routes: list[tuple[str, str, Any]] = [
            ("GET", "/hello", self.hello),
            ("GET", "/items/special", self.special),
            ("GET", "/items/{id}", self.params),
            ("DELETE", "/items/{id}", self.delete),
            ("GET", "/items/{id}/tags/{tag}", self.params),
            ("GET", "/query", self.query),
            ("GET", "/whoami", self.whoami),
            ("POST", "/echo", self.echo),
            ("POST", "/size", self.size),
            ("POST", "/upload", self.upload),
            ("GET", "/boom", self.boom),
            ("GET", "/bad-header", self.bad_header),
            ("GET", "/not-a-response", self.not_a_response),
            ("GET", "/stream", self.stream),
        ]
        for method, path, handler in routes:
            self.router.add(method, path, handler)

    async def hello(self, _: Request) -> Response:
        return json_response({"hello": "world"})

    async def special(self, _: Request) -> Response:
        return json_response({"special": True})

    async def params(self, request: Request) -> Response:
        return json_response(request.path_params)

    async def delete(self, _: Request) -> Response:
        return Response(status=204)

    async def query(self, request: Request) -> Response:
        return json_response(request.query)

    async def whoami(self, request: Request) -> Response:
        return json_response({"client": request.client})

    async def echo(self, request: Request) -> Response:
        return json_response({"got": request.json()})

    async def size(self, request: Request) -> Response:
        self.calls += 1
        return json_response({"size": len(request.body)})

    async def upload(self, request: Request) -> Response:
        parts = request.form(max_file_size=MAX_FILE)
        return json_response([[p.name, p.filename, p.content_type, p.data.decode()] for p in parts])

    async def boom(self, _: Request) -> Response:
        raise RuntimeError(f"database password is {SECRET}")

    async def bad_header(self, _: Request) -> Response:
        return Response(b"x", headers={"X-Bad": "line\r\nbreak"})

    async def not_a_response(self, _: Request) -> Any:
        return {"oops": True}

    async def stream(self, _: Request) -> StreamResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                while (item := await self.stream_queue.get()) is not None:
                    yield item
            finally:
                self.stream_closed.set()

        return StreamResponse(chunks(), headers={"X-Accel-Buffering": "no"})


@contextlib.asynccontextmanager
async def running(router: Router, **options: Any) -> AsyncIterator[HttpServer]:
    options.setdefault("max_body", MAX_BODY)
    server = HttpServer(router, log=LOG, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def http_client(server: HttpServer) -> httpx.AsyncClient:
    url = f"http://127.0.0.1:{server.port}"
    return httpx.AsyncClient(base_url=url, timeout=5, trust_env=False)


@pytest.fixture
async def app() -> App:
    return App()


@pytest.fixture
async def server(app: App) -> AsyncIterator[HttpServer]:
    async with running(app.router, header_timeout=1.0) as srv:
        yield srv


@pytest.fixture
async def client(server: HttpServer) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(server) as c:
        yield c


async def raw_exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes and return everything the server answers until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(-1), 5)
    finally:
        writer.close()


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert isinstance(problem["title"], str)
    assert isinstance(problem["detail"], str)
    assert isinstance(problem["errors"], list)
    return problem


# --- routing ---------------------------------------------------------------------------------

ROUTES = [
    pytest.param("GET", "/hello", 200, {"hello": "world"}, id="static"),
    pytest.param("GET", "/items/42", 200, {"id": "42"}, id="param"),
    pytest.param("GET", "/items/special", 200, {"special": True}, id="literal-beats-param"),
    pytest.param("GET", "/items/a%20b", 200, {"id": "a b"}, id="param-is-decoded"),
    pytest.param("GET", "/items/x%2Fy", 200, {"id": "x/y"}, id="encoded-slash-stays-in-param"),
    pytest.param("GET", "/items/7/tags/red", 200, {"id": "7", "tag": "red"}, id="two-params"),
    pytest.param("DELETE", "/items/special", 204, None, id="param-route-has-the-method"),
    pytest.param("GET", "/query?a=1&b=&a=2", 200, {"a": "2", "b": ""}, id="query"),
    pytest.param("GET", "/nope", 404, None, id="unknown-path"),
    pytest.param("GET", "/hello/", 404, None, id="trailing-slash-is-another-path"),
    pytest.param("GET", "/items", 404, None, id="param-needs-a-segment"),
    pytest.param("POST", "/hello", 405, None, id="wrong-method"),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), ROUTES)
async def test_routing(
    client: httpx.AsyncClient, method: str, path: str, status: int, body: Any
) -> None:
    resp = await client.request(method, path)
    assert resp.status_code == status
    if status >= 400:
        assert_problem(resp, status)
    elif body is not None:
        assert resp.json() == body


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("POST", "/hello", "GET, HEAD"), ("PUT", "/items/3", "DELETE, GET, HEAD")],
)
async def test_405_lists_allowed_methods(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    resp = await client.request(method, path)
    assert_problem(resp, 405)
    assert resp.headers["allow"] == allow


async def test_problem_document_and_common_headers(client: httpx.AsyncClient) -> None:
    resp = await client.get("/nope")
    assert resp.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no route for /nope",
        "errors": [],
    }
    for each in (resp, await client.get("/hello")):
        assert each.headers["cache-control"] == "no-store"
        assert each.headers["content-length"] == str(len(each.content))
        assert "date" in each.headers


def test_http_error_carries_title_errors_and_headers() -> None:
    errors = [{"location": "body.content", "message": "required"}]
    resp = HttpError(422, "bad", title="Invalid", errors=errors, headers={"X-A": "1"}).to_response()
    assert resp.status == 422
    assert resp.headers["x-a"] == "1"
    assert json.loads(resp.body) == {
        "type": "about:blank",
        "title": "Invalid",
        "status": 422,
        "detail": "bad",
        "errors": errors,
    }


def test_router_rejects_duplicates_and_relative_paths(app: App) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        app.router.add("GET", "/items/{id}", app.params)
    with pytest.raises(ValueError, match="must start"):
        app.router.add("GET", "hello", app.hello)


# --- request bodies --------------------------------------------------------------------------

JSON_BODIES = [
    pytest.param(b'{"a": [1, "\xc3\xa9"]}', "application/json", 200, id="object"),
    pytest.param(b'{"a": 1}', "application/json; charset=utf-8", 200, id="with-charset"),
    pytest.param(b'{"a": 1}', "application/merge-patch+json", 200, id="plus-json"),
    pytest.param(b'{"a": 1}', None, 200, id="no-content-type"),
    pytest.param(b'{"a": ', "application/json", 400, id="truncated"),
    pytest.param(b"", "application/json", 400, id="empty"),
    pytest.param(b"\xff\xfe\x00", "application/json", 400, id="not-utf8"),
    pytest.param(b"NaN", "application/json", 400, id="nan"),
    pytest.param(b'{"a": 1}', "text/plain", 415, id="not-json"),
]


@pytest.mark.parametrize(("content", "ctype", "status"), JSON_BODIES)
async def test_json_bodies(
    client: httpx.AsyncClient, content: bytes, ctype: str | None, status: int
) -> None:
    headers = {"content-type": ctype} if ctype else {}
    resp = await client.post("/echo", content=content, headers=headers)
    if status == 200:
        assert resp.json() == {"got": json.loads(content)}
        return
    problem = assert_problem(resp, status)
    if status == 400:
        assert problem["detail"].startswith("malformed JSON body: ")


async def test_body_at_the_limit_is_accepted(app: App, client: httpx.AsyncClient) -> None:
    resp = await client.post("/size", content=b"x" * MAX_BODY)
    assert resp.json() == {"size": MAX_BODY}


async def test_413_by_content_length(app: App, client: httpx.AsyncClient) -> None:
    resp = await client.post("/size", content=b"x" * (MAX_BODY + 1))
    assert_problem(resp, 413)
    assert resp.headers["connection"] == "close"
    assert app.calls == 0
    assert (await client.get("/hello")).status_code == 200


async def test_413_by_content_length_does_not_wait_for_the_body(server: HttpServer) -> None:
    head = b"POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"
    raw = await raw_exchange(server.port, head + b"only a little")
    assert status_of(raw) == 413


async def test_413_by_streamed_size(app: App, client: httpx.AsyncClient) -> None:
    async def chunks(total: int) -> AsyncIterator[bytes]:
        for _ in range(total // 8192):
            yield b"y" * 8192

    resp = await client.post("/size", content=chunks(4 * MAX_BODY))
    assert "content-length" not in resp.request.headers  # really sent chunked
    assert_problem(resp, 413)
    assert app.calls == 0
    resp = await client.post("/size", content=chunks(MAX_BODY))
    assert resp.json() == {"size": MAX_BODY}


async def test_expect_100_continue(server: HttpServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim.startswith(b"HTTP/1.1 100 ")
    writer.write(b"hello")
    final = await asyncio.wait_for(reader.readuntil(b'{"size":5}'), 5)
    assert final.startswith(b"HTTP/1.1 200 ")
    writer.close()


# --- multipart -------------------------------------------------------------------------------


async def test_upload_parses_fields_and_files(client: httpx.AsyncClient) -> None:
    files = {"file": ("notes.txt", b"line one\r\n--not-a-boundary\r\n", "text/markdown")}
    resp = await client.post("/upload", data={"note": "hi"}, files=files)
    assert resp.json() == [
        ["note", None, "text/plain", "hi"],
        ["file", "notes.txt", "text/markdown", "line one\r\n--not-a-boundary\r\n"],
    ]


@pytest.mark.parametrize(
    ("content", "ctype", "status"),
    [
        pytest.param(None, None, 413, id="file-over-cap"),
        pytest.param(b"garbage", "multipart/form-data; boundary=xyz", 400, id="no-boundary"),
        pytest.param(b"--xyz\r\n\r\nx\r\n--xyz--", "multipart/form-data", 400, id="no-param"),
        pytest.param(b"a=1", "application/x-www-form-urlencoded", 415, id="not-multipart"),
    ],
)
async def test_upload_errors(
    client: httpx.AsyncClient, content: bytes | None, ctype: str | None, status: int
) -> None:
    if content is None:
        resp = await client.post("/upload", files={"file": ("big.bin", b"z" * (MAX_FILE + 1))})
    else:
        resp = await client.post("/upload", content=content, headers={"content-type": ctype or ""})
    assert_problem(resp, status)


def form(*parts: bytes, boundary: bytes = b"B0und") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return body + b"--" + boundary + b"--\r\n"


FIELD = b'Content-Disposition: form-data; name="a"\r\n\r\nvalue'
FORMS = [
    pytest.param(form(FIELD), [("a", None, "text/plain", b"value")], id="field"),
    pytest.param(
        b"preamble\r\n" + form(FIELD) + b"epilogue",
        [("a", None, "text/plain", b"value")],
        id="preamble-and-epilogue",
    ),
    pytest.param(
        form(
            b'Content-Disposition: form-data; name="f"; filename="a b.txt"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF\r\n\r\n"
        ),
        [("f", "a b.txt", "application/pdf", b"%PDF\r\n\r\n")],
        id="file-with-crlf-in-data",
    ),
    pytest.param(
        form(
            b'Content-Disposition: form-data; name=f; filename="x.txt"; '
            b"filename*=UTF-8''%E2%82%AC.txt\r\n\r\n"
        ),
        [("f", "€.txt", "text/plain", b"")],
        id="rfc8187-filename-wins",
    ),
    pytest.param(
        form('Content-Disposition: form-data; name="f"; filename="ü.txt"\r\n\r\n'.encode()),
        [("f", "ü.txt", "text/plain", b"")],
        id="raw-utf8-filename",
    ),
    pytest.param(b"--B0und--\r\n", [], id="empty-form"),
]


@pytest.mark.parametrize(("body", "expected"), FORMS)
def test_parse_form(body: bytes, expected: list[tuple[str, str | None, str, bytes]]) -> None:
    parts = parse_form("multipart/form-data; boundary=B0und", body, MAX_FILE)
    assert [(p.name, p.filename, p.content_type, p.data) for p in parts] == expected


def test_parse_form_quoted_boundary() -> None:
    body = form(FIELD, boundary=b"a:b c")
    parts = parse_form('multipart/form-data; boundary="a:b c"', body, MAX_FILE)
    assert [p.data for p in parts] == [b"value"]


BAD_FORMS = [
    pytest.param(b"", 400, id="empty-body"),
    pytest.param(form(FIELD)[:-10], 400, id="missing-closing-boundary"),
    pytest.param(form(b"Content-Disposition: form-data\r\n\r\nx"), 400, id="part-without-name"),
    pytest.param(form(b"X-Other: 1\r\n\r\nx"), 400, id="no-disposition"),
    pytest.param(form(b"no colon here\r\n\r\nx"), 400, id="bad-part-header"),
    pytest.param(b"--B0und\r\n" + b"X: y\r\n" * 3000, 400, id="headers-never-end"),
    pytest.param(b"--B0undXYZ\r\n" + FIELD + b"\r\n--B0und--", 400, id="boundary-prefix"),
    pytest.param(form(FIELD[:-5] + b"v" * (MAX_FILE + 1)), 413, id="part-over-cap"),
    pytest.param(form(*[FIELD] * 1001), 413, id="too-many-parts"),
]


@pytest.mark.parametrize(("body", "status"), BAD_FORMS)
def test_parse_form_rejects(body: bytes, status: int) -> None:
    with pytest.raises(MultipartError) as caught:
        parse_form("multipart/form-data; boundary=B0und", body, MAX_FILE)
    assert caught.value.status == status


@pytest.mark.parametrize(
    "ctype", ["multipart/form-data; boundary=" + "x" * 71, 'multipart/form-data; boundary=""']
)
def test_parse_form_rejects_bad_boundaries(ctype: str) -> None:
    with pytest.raises(MultipartError):
        parse_form(ctype, b"--x--", MAX_FILE)


# --- middleware ------------------------------------------------------------------------------


async def require_token(request: Request) -> None:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        raise HttpError(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})


async def broken_middleware(request: Request) -> None:
    if request.path == "/hello":
        raise KeyError(SECRET)


MIDDLEWARE_CASES = [
    pytest.param("/nope", False, 401, id="401-beats-404"),
    pytest.param("/hello", False, 401, id="known-path-without-token"),
    pytest.param("/hello", True, 200, id="token-passes"),
    pytest.param("/nope", True, 404, id="token-then-404"),
]


@pytest.mark.parametrize(("path", "with_token", "status"), MIDDLEWARE_CASES)
async def test_middleware(app: App, path: str, with_token: bool, status: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"} if with_token else {}
    async with running(app.router, middleware=[require_token]) as srv, http_client(srv) as c:
        resp = await c.get(path, headers=headers)
    assert resp.status_code == status
    if status == 401:
        assert_problem(resp, 401)
        assert resp.headers["www-authenticate"] == "Bearer"


async def test_rejected_body_is_skipped_and_connection_kept(app: App) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with running(app.router, middleware=[require_token]) as srv, http_client(srv) as c:
        first = await c.get("/whoami", headers=auth)
        resp = await c.post("/size", content=b"x" * 5000)
        assert_problem(resp, 401)
        assert app.calls == 0
        again = await c.get("/whoami", headers=auth)
    assert first.json() == again.json()  # same client port: the connection was reused


async def test_middleware_crash_is_a_500(app: App, caplog: pytest.LogCaptureFixture) -> None:
    async with running(app.router, middleware=[broken_middleware]) as srv, http_client(srv) as c:
        resp = await c.get("/hello")
    assert_problem(resp, 500)
    assert SECRET not in resp.text
    assert SECRET in caplog.text


# --- handler failures ------------------------------------------------------------------------


async def test_handler_exception_is_logged_not_leaked(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    resp = await client.get("/boom")
    problem = assert_problem(resp, 500)
    assert SECRET not in resp.text
    ref = problem["detail"].split("ref ")[1].split(")")[0]
    record = next(r for r in caplog.records if ref in r.getMessage())
    assert record.exc_text is not None
    assert SECRET in record.exc_text
    assert (await client.get("/hello")).status_code == 200


@pytest.mark.parametrize("path", ["/bad-header", "/not-a-response"])
async def test_invalid_handler_results_become_500(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 500)
    assert (await client.get("/hello")).status_code == 200


# --- connections -----------------------------------------------------------------------------


async def test_keep_alive_reuses_the_connection(client: httpx.AsyncClient) -> None:
    seen = {tuple((await client.get("/whoami")).json()["client"]) for _ in range(5)}
    assert len(seen) == 1


async def test_pipelined_requests(server: HttpServer) -> None:
    one = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
    two = b"GET /items/9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    raw = await raw_exchange(server.port, one + two)
    assert raw.count(b"HTTP/1.1 200 ") == 2
    assert raw.endswith(b'{"id":"9"}')


async def test_http_1_0_gets_a_framed_response_then_close(server: HttpServer) -> None:
    raw = await raw_exchange(server.port, b"GET /hello HTTP/1.0\r\n\r\n")
    assert status_of(raw) == 200
    assert b"content-length: 17\r\n" in raw.lower()
    assert raw.endswith(b'{"hello":"world"}')


@pytest.mark.parametrize(("path", "status"), [("/hello", 200), ("/nope", 404)])
async def test_head(client: httpx.AsyncClient, path: str, status: int) -> None:
    get = await client.get(path)
    head = await client.head(path)
    assert head.status_code == status
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert (await client.get("/hello")).status_code == 200  # the connection is still in sync


async def test_head_on_a_stream_sends_no_body(client: httpx.AsyncClient) -> None:
    resp = await client.head("/stream")
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["content-type"] == "text/event-stream"


GARBAGE = [
    pytest.param(b"\x00\x01\x02garbage\r\n\r\n", 400, id="binary"),
    pytest.param(random.Random(7).randbytes(8192) + b"\r\n\r\n", 400, id="random-bytes"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01" + bytes(500), 400, id="tls-client-hello"),
    pytest.param(b"GET /hello HTTP/1.1\r\nHost: x\r\n", None, id="unfinished-head-times-out"),
    pytest.param(b"GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, id="bad-header"),
    pytest.param(b"GET /hello HTTP/1.1\r\n\r\n", 400, id="missing-host"),
    pytest.param(b"GET /hello HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000, 431, id="huge-header"),
    pytest.param(
        b"POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        id="bad-chunk",
    ),
    pytest.param(
        b"POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        400,
        id="conflicting-lengths",
    ),
    pytest.param(b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, id="star-target"),
]


@pytest.mark.parametrize(("data", "status"), GARBAGE)
async def test_garbage_gets_400_and_server_keeps_serving(
    server: HttpServer, client: httpx.AsyncClient, data: bytes, status: int | None
) -> None:
    raw = await raw_exchange(server.port, data)
    if status is None:
        assert raw == b""  # closed when the header deadline passed
    else:
        assert status_of(raw) == status
        assert b"application/problem+json" in raw
    assert (await client.get("/hello")).status_code == 200


async def test_slow_client_times_out_without_blocking_others(app: App) -> None:
    async with running(app.router, header_timeout=0.3) as srv, http_client(srv) as c:
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"GET /hello HTTP/1.1\r\nHost:")
        assert (await c.get("/hello")).status_code == 200
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(-1), 5) == b""
        assert time.monotonic() - started < 2
        writer.close()


async def test_header_deadline_does_not_cut_slow_handlers_or_long_streams(app: App) -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.6)
        return json_response({"size": len(request.body)})

    app.router.add("POST", "/slow", slow)
    options = {"header_timeout": 0.3, "max_body": 1 << 20}
    async with running(app.router, **options) as srv, http_client(srv) as c:
        resp = await c.post("/slow", content=b"x" * 500_000)  # more than one read
        assert resp.json() == {"size": 500_000}
        async with c.stream("GET", "/stream") as stream:
            await asyncio.sleep(0.6)
            app.stream_queue.put_nowait(b"data: late\n\n")
            assert await asyncio.wait_for(stream.aiter_raw().__anext__(), 5) == b"data: late\n\n"


async def test_peer_reset_mid_body_does_not_hurt(
    server: HttpServer, client: httpx.AsyncClient
) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # with a zero linger time, close() sends RST
    assert (await client.get("/hello")).status_code == 200


# --- streaming -------------------------------------------------------------------------------


async def test_stream_delivers_chunks_as_they_come_and_stops_on_disconnect(
    app: App, client: httpx.AsyncClient
) -> None:
    async with client.stream("GET", "/stream") as resp:
        assert resp.headers["transfer-encoding"] == "chunked"
        assert resp.headers["content-type"] == "text/event-stream"
        assert resp.headers["cache-control"] == "no-store"
        chunks = resp.aiter_raw()
        for event in (b"data: one\n\n", b"data: two\n\n"):
            app.stream_queue.put_nowait(event)
            assert await asyncio.wait_for(chunks.__anext__(), 5) == event
        assert not app.stream_closed.is_set()
    await asyncio.wait_for(app.stream_closed.wait(), 5)  # the generator's finally ran


async def test_stream_that_ends_completes_the_response(app: App, client: httpx.AsyncClient) -> None:
    for item in (b"a", b"", b"b", None):
        app.stream_queue.put_nowait(item)
    first = await client.get("/stream")
    assert first.content == b"ab"
    assert app.stream_closed.is_set()
    assert (await client.get("/hello")).status_code == 200


async def test_close_ends_open_streams(app: App) -> None:
    async with (
        running(app.router) as srv,
        http_client(srv) as c,
        c.stream("GET", "/stream") as resp,
    ):
        chunks = resp.aiter_raw()
        app.stream_queue.put_nowait(b"data: hi\n\n")
        assert await asyncio.wait_for(chunks.__anext__(), 5) == b"data: hi\n\n"
        await asyncio.wait_for(srv.close(), 5)
        assert app.stream_closed.is_set()
        with pytest.raises(httpx.HTTPError):
            await asyncio.wait_for(chunks.__anext__(), 5)


async def test_close_ends_idle_keep_alive_connections(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(app.router) as srv:
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b'{"hello":"world"}')
        await asyncio.wait_for(srv.close(), 5)
        assert await asyncio.wait_for(reader.read(-1), 5) == b""
        writer.close()
    await asyncio.sleep(0.05)  # let asyncio's own done-callbacks run
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- performance -----------------------------------------------------------------------------


async def test_idle_server_uses_no_cpu(client: httpx.AsyncClient) -> None:
    assert (await client.get("/hello")).status_code == 200  # leaves a keep-alive connection
    started = time.process_time()
    await asyncio.sleep(0.5)
    assert time.process_time() - started < 0.05


async def test_small_requests_stay_prompt_while_the_loop_is_busy(server: HttpServer) -> None:
    """Counts loop iterations, not seconds: each one runs every busy task once."""
    busy_tasks, ticks, running_flag = 20, [0], [True]

    async def busy() -> None:
        while running_flag[0]:
            end = time.perf_counter() + 0.002
            while time.perf_counter() < end:
                pass
            ticks[0] += 1
            await asyncio.sleep(0)

    sock = socket.create_connection(("127.0.0.1", server.port))
    request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"

    def exchange() -> float:
        before = ticks[0]
        sock.sendall(request)
        got = b""
        while not got.endswith(b'{"hello":"world"}'):
            got += sock.recv(4096)
        return (ticks[0] - before) / busy_tasks

    await asyncio.to_thread(exchange)  # the connection task now waits in its read
    tasks = [asyncio.create_task(busy()) for _ in range(busy_tasks)]
    try:
        await asyncio.sleep(0.1)
        iterations = [await asyncio.to_thread(exchange) for _ in range(5)]
    finally:
        running_flag[0] = False
        await asyncio.gather(*tasks)
        sock.close()
    # Reading, waking the connection task and answering take about 2.5 iterations; running each
    # read under asyncio.wait_for (an extra task before 3.12) makes it about 5.
    assert min(iterations) <= 3.5, iterations
