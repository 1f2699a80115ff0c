"""Bad input gets a specific 4xx problem, secrets never leak, and the bridge keeps serving."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .harness import TOKEN, BridgeProcess

SECRET = "sk-ant-test-SECRET-value-42"


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    proc = BridgeProcess(
        tmp_path_factory.mktemp("bad"),
        "demo",
        env={"ANTHROPIC_API_KEY": SECRET},
        extra_args=["--max-upload", "1024"],
    ).start()
    proc.wait_state("idle")
    yield proc
    proc.stop()


def raw_request(proc: BridgeProcess, method: str, path: str, **kw: Any) -> httpx.Response:
    token = kw.pop("token", TOKEN)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    with httpx.Client(base_url=proc.url, timeout=30) as c:
        return c.request(method, path, headers=headers, **kw)


CASES = [
    pytest.param("GET", "/status", {"token": None}, 401, "missing bearer token", id="no-token"),
    pytest.param(
        "GET", "/messages", {"token": "wrong"}, 401, "invalid bearer token", id="wrong-token"
    ),
    pytest.param(
        "GET",
        "/status",
        {"headers": {"Host": "evil.example:3284"}},
        400,
        "Host header",
        id="dns-rebinding-host",
    ),
    pytest.param(
        "POST",
        "/message",
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        400,
        "malformed JSON",
        id="malformed-json",
    ),
    pytest.param("POST", "/message", {"json": ["a"]}, 422, "JSON object", id="json-not-object"),
    pytest.param(
        "POST",
        "/message",
        {"json": {"content": "x", "type": "shout"}},
        422,
        "unknown message type",
        id="unknown-type",
    ),
    pytest.param(
        "POST",
        "/message",
        {"json": {"type": "user"}},
        422,
        "content must be a string",
        id="missing-content",
    ),
    pytest.param(
        "POST",
        "/message",
        {"json": {"content": "   ", "type": "user"}},
        422,
        "must not be empty",
        id="empty-content",
    ),
    pytest.param(
        "POST",
        "/upload",
        {"files": {"file": ("big.bin", b"x" * 4096)}},
        413,
        "",
        id="oversize-upload",
    ),
    pytest.param(
        "POST",
        "/upload",
        {"files": {"file": ("../../etc/passwd", b"x")}},
        400,
        "file name",
        id="upload-path-climb",
    ),
    pytest.param(
        "POST", "/upload", {"files": {"file": ("..", b"x")}}, 400, "file name", id="upload-dotdot"
    ),
    pytest.param(
        "POST",
        "/upload",
        {"files": {"file": ("a\\..\\b.txt", b"x")}},
        400,
        "file name",
        id="upload-backslash-path",
    ),
    pytest.param(
        "POST", "/upload", {"files": {"other": ("a.txt", b"x")}}, 422, "'file'", id="upload-no-file"
    ),
    pytest.param(
        "DELETE", "/taskyard/queue/nope", {}, 404, "no queued message", id="cancel-unknown"
    ),
    pytest.param(
        "POST",
        "/taskyard/signal",
        {"json": {"state": "dancing"}},
        422,
        "unknown state",
        id="signal-unknown-state",
    ),
    pytest.param("GET", "/nope", {}, 404, "", id="unknown-path"),
    pytest.param("DELETE", "/status", {}, 405, "", id="wrong-method"),
]


@pytest.mark.parametrize(("method", "path", "kw", "status", "detail"), CASES)
def test_bad_input_gets_a_specific_problem(
    bridge: BridgeProcess, method: str, path: str, kw: dict[str, Any], status: int, detail: str
) -> None:
    resp = raw_request(bridge, method, path, **kw)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status
    assert detail in body["detail"]
    assert raw_request(bridge, "GET", "/status").status_code == 200  # still serving


def test_signal_token_only_posts_signals(bridge: BridgeProcess) -> None:
    hook = next(Path(bridge.base).rglob("taskyard-hook.py"))
    assert hook.exists()
    # The signal token reaches the agent; it must not let the agent drive itself.
    env_dump = raw_request(bridge, "GET", "/taskyard/state").json()
    assert "signal_token" not in env_dump


def test_secrets_never_appear_in_messages_logs_or_screens(bridge: BridgeProcess) -> None:
    bridge.send(f"remember {SECRET} please")
    bridge.wait_state("idle")
    texts = [m["content"] for m in bridge.messages()]
    assert all(SECRET not in t for t in texts)
    assert any("••••••" in t for t in texts)
    assert SECRET not in bridge.log()
    assert TOKEN not in bridge.log()
    state_file = bridge.state_file.read_text()
    assert SECRET not in state_file


def test_garbage_on_the_socket_does_not_hurt(bridge: BridgeProcess) -> None:
    with socket.create_connection(("127.0.0.1", bridge.port), timeout=5) as sock:
        sock.sendall(b"\x00\xff garbage \r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    assert raw_request(bridge, "GET", "/status").json()["agent_type"] == "demo"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["server", "--port", "0"], "--type is required", id="no-type"),
        pytest.param(
            ["server", "--type", "nonsense", "--port", "0"], "unknown agent type", id="bad-type"
        ),
        pytest.param(
            ["server", "--type", "demo", "--term-width", "3"], "at least 10", id="tiny-screen"
        ),
        pytest.param(
            ["server", "--type", "custom", "--port", "0", "--", "/no/such/agent"],
            "cannot start the agent",
            id="missing-agent-binary",
        ),
        pytest.param(
            ["server", "--type", "demo", "--token-file", "/no/such/file"],
            "cannot read --token-file",
            id="missing-token-file",
        ),
    ],
)
def test_command_line_errors_are_plain_messages(
    tmp_path: Path, args: list[str], message: str
) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "taskyard.bridge", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "TASKYARD_BRIDGE_TOKEN": TOKEN,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "server"),
        },
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
