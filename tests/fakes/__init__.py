"""Fake LLM servers that real coding agents (Claude Code, Aider) talk to in tests.

This package holds what both fakes share: the scripted scenarios read from the user's prompt, and a
small threaded HTTP server (TCP on 127.0.0.1 or a unix socket) that logs a summary of each request.
The fakes are stateless on purpose: agents retry requests, so a reply must follow from the request
alone, never from how many requests came before.

Scenarios (from the last real user prompt):

``create <FILE> with <TEXT>``  the agent writes FILE containing TEXT plus a newline
``run <COMMAND>``              the agent runs a shell command (Claude Code's Bash tool)
``sleep <N>``                  anywhere: hold the reply open N seconds (combines with the others)
anything else                  a plain text reply ``Echo: <first 60 characters of the prompt>``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import signal
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeServer",
    "Handler",
    "Scenario",
    "content_text",
    "parse_prompt",
    "serve_main",
    "strip_wrapping",
]

# Claude Code wraps the prompt in extra blocks (system reminders, command captions); those must
# not be mistaken for the user's words.
_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
# "sleep N" may trail a create/run command ("run ls and sleep 3"); it is cut off the argument.
_SLEEP = re.compile(r"\bsleep\s+(\d+(?:\.\d+)?)\b")
_TRAILING_SLEEP = re.compile(r"\s*(?:[,;]|\band\b|\bthen\b)?\s*\bsleep\s+\d+(?:\.\d+)?\s*$")
_CREATE = re.compile(r"(?:^|(?<=\s))create\s+(\S+)\s+with\s+(.+)$", re.M)
_RUN = re.compile(r"(?:^|(?<=\s))run\s+(.+)$", re.M)


@dataclass(frozen=True)
class Scenario:
    """What the fake should make the agent do, decided from one prompt."""

    kind: str  # "create" | "run" | "echo"
    prompt: str
    file: str = ""
    text: str = ""
    command: str = ""
    sleep: float = 0.0

    @property
    def echo(self) -> str:
        """The plain-text reply of the echo scenario."""
        return "Echo: " + " ".join(self.prompt.split())[:60]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
        return value[1:-1]
    return value


def strip_wrapping(text: str) -> str:
    """Remove agent-added wrapping (system reminders) around the user's own words."""
    return _REMINDER.sub("", text).strip()


def parse_prompt(prompt: str) -> Scenario:
    """Pick the scenario of a user prompt (see the module docstring)."""
    prompt = strip_wrapping(prompt)
    sleep_match = _SLEEP.search(prompt)
    sleep = float(sleep_match.group(1)) if sleep_match else 0.0
    create = _CREATE.search(prompt)
    if create:
        text = _unquote(_TRAILING_SLEEP.sub("", create.group(2)))
        return Scenario("create", prompt, file=_unquote(create.group(1)), text=text, sleep=sleep)
    run = _RUN.search(prompt)
    if run:
        command = _unquote(_TRAILING_SLEEP.sub("", run.group(1)))
        if command:
            return Scenario("run", prompt, command=command, sleep=sleep)
    return Scenario("echo", prompt, sleep=sleep)


def content_text(content: Any) -> str:
    """The text of a message's content, whether a plain string or a list of typed blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(block.get("text", ""))
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
    return ""


class Handler(BaseHTTPRequestHandler):
    """Parses the request and hands it to the owning :class:`FakeServer`; offers reply helpers."""

    protocol_version = "HTTP/1.1"
    fake: FakeServer  # set on a per-server subclass

    def setup(self) -> None:
        super().setup()
        # Unix-socket peers have an empty address, which BaseHTTPRequestHandler trips on.
        if not isinstance(self.client_address, tuple) or not self.client_address:
            self.client_address = ("unix", 0)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request summaries in ``fake.requests`` are the log."""

    def do_GET(self) -> None:
        self._dispatch(None)

    def do_HEAD(self) -> None:
        self._dispatch(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self.send_json({"error": {"type": "invalid_request_error", "message": "bad JSON"}}, 400)
            return
        self._dispatch(body if isinstance(body, dict) else {})

    def _dispatch(self, body: dict[str, Any] | None) -> None:
        # A client that hangs up mid-reply (an interrupted agent) is normal, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.fake.handle(self, body)

    def send_json(self, obj: Any, status: int = 200) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        # No chunked encoding: the stream simply ends when the connection closes.
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def write_sse(self, data: str, event: str | None = None) -> None:
        head = f"event: {event}\n" if event else ""
        self.wfile.write(f"{head}data: {data}\n\n".encode())
        self.wfile.flush()

    def hold(self, seconds: float) -> bool:
        """Wait ``seconds`` with the reply open; False as soon as the client hangs up."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.2))
            # Readable with no data means EOF: the agent was interrupted and closed the socket.
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return False


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeServer:
    """A fake API server in a daemon thread; subclasses implement :meth:`handle`.

    Parameters
    ----------
    host, port
        TCP address; port 0 picks a free port (read it back from ``port``).
    unix_socket
        Serve on this unix socket path instead of TCP (for containers with ``--network none``).
    log_path
        Also append each request summary as a JSON line to this file.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        unix_socket: str | None = None,
        log_path: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.unix_socket = unix_socket
        self.log_path = log_path
        self.requests: list[dict[str, Any]] = []
        """Summaries of the requests received, oldest first."""
        self._httpd: socketserver.BaseServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The URL agents use; for a unix socket only the path part matters, so it is localhost."""
        if self.unix_socket:
            return "http://localhost"
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeServer:
        handler = type("BoundHandler", (Handler,), {"fake": self})
        if self.unix_socket:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.unix_socket)
            httpd: socketserver.BaseServer = _UnixHTTPServer(self.unix_socket, handler)
        else:
            tcp = ThreadingHTTPServer((self.host, self.port), handler)
            tcp.daemon_threads = True
            self.port = tcp.server_address[1]
            httpd = tcp
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name=type(self).__name__)
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None
        if self.unix_socket:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.unix_socket)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, summary: dict[str, Any]) -> None:
        """Log one request summary (in memory and, if asked, to the JSONL file)."""
        summary = {"t": round(time.time(), 3), **summary}
        with self._lock:
            self.requests.append(summary)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(summary) + "\n")

    def handle(self, request: Handler, body: dict[str, Any] | None) -> None:
        """Answer one request; ``body`` is the parsed JSON of a POST, None for GET/HEAD."""
        raise NotImplementedError


def serve_main(cls: type[FakeServer], argv: list[str] | None = None) -> None:
    """Command line of a fake: serve until interrupted, print the port (or socket) first."""
    parser = argparse.ArgumentParser(description=(cls.__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--unix-socket", help="serve on this unix socket instead of TCP")
    parser.add_argument("--log", help="append request summaries to this JSONL file")
    args = parser.parse_args(argv)
    server = cls(args.host, args.port, unix_socket=args.unix_socket, log_path=args.log).start()
    print(args.unix_socket or server.port, flush=True)
    # SIGTERM (how test harnesses stop it) must also run the cleanup that removes the socket file.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
