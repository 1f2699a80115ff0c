"""Runs a real bridge process for tests and talks to it over HTTP, as the sidecar does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TOKEN = "test-token-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


class BridgeProcess:
    """One ``taskyard-bridge server`` subprocess with its own workdir, state file and token."""

    def __init__(
        self,
        base: Path,
        agent_type: str,
        agent_argv: list[str] | None = None,
        *,
        initial_prompt: str = "",
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        workdir: Path | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.base = base
        self.workdir = workdir or base / "work"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.state_file = base / "state" / "bridge-state.json"
        self.ready_file = base / "ready.json"
        self.log_file = base / "bridge.log"
        self.agent_type = agent_type
        self.agent_argv = agent_argv or []
        self.initial_prompt = initial_prompt
        self.extra_args = extra_args or []
        self.command = command or [sys.executable, "-m", "taskyard.bridge"]
        self.env = {
            **os.environ,
            "TASKYARD_BRIDGE_TOKEN": TOKEN,
            "TASKYARD_DEMO_SPEED": "5",
            "PYTHONPATH": str(ROOT / "server"),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, timeout: float = 30.0) -> BridgeProcess:
        self.ready_file.unlink(missing_ok=True)
        args = [
            *self.command,
            "server",
            "--type",
            self.agent_type,
            "--port",
            "0",
            "--ready-file",
            str(self.ready_file),
            "--state-file",
            str(self.state_file),
            "--workdir",
            str(self.workdir),
            "--log-file",
            str(self.log_file),
            *self.extra_args,
        ]
        if self.initial_prompt:
            args += ["--initial-prompt", self.initial_prompt]
        args += ["--", *self.agent_argv]
        self.stderr_file = self.base / "bridge.stderr"
        with self.stderr_file.open("wb") as err:
            self.proc = subprocess.Popen(
                args, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=err
            )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.ready_file.exists():
                self.port = json.loads(self.ready_file.read_text())["port"]
                return self
            if self.proc.poll() is not None:
                err = self.stderr_file.read_text()
                raise RuntimeError(f"bridge exited with {self.proc.returncode}: {err}")
            time.sleep(0.05)
        raise TimeoutError(f"bridge not ready; log:\n{self.log()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = TOKEN, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=kw.pop("timeout", 30.0), **kw
        )

    def state(self) -> dict[str, Any]:
        with self.client() as c:
            data: dict[str, Any] = c.get("/taskyard/state").raise_for_status().json()
            return data

    def messages(self) -> list[dict[str, Any]]:
        with self.client() as c:
            data: list[dict[str, Any]] = c.get("/messages").raise_for_status().json()["messages"]
            return data

    def screen(self) -> str:
        with self.client() as c:
            text: str = c.get("/taskyard/screen").raise_for_status().json()["screen"]
            return text

    def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 30.0,
        what: str = "condition",
    ) -> dict[str, Any]:
        end = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < end:
            state = self.state()
            if predicate(state):
                return state
            time.sleep(0.05)
        raise AssertionError(
            f"timed out waiting for {what}; last state {state}\n"
            f"screen:\n{self.screen()}\nlog:\n{self.log()[-3000:]}"
        )

    def wait_state(self, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_for(lambda s: s["state"] in states, timeout, f"state in {states}")

    def send(self, content: str, kind: str = "user") -> httpx.Response:
        with self.client() as c:
            return c.post("/message", json={"content": content, "type": kind})

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(5)
