"""End-to-end fixtures: the real sidecar over stdio (pytest-lsp), with its own data folder.

Each test module gets a fresh sidecar process, data folder and editor workspace. The client
keeps every ``taskyard/*`` notification as raw JSON, so tests assert on exactly what the editor
would receive.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol

from taskyard.protocol.client import RawProtocol, raw_converter, record_notifications
from tests.processes import stop_bridges_under

ROOT = Path(__file__).resolve().parents[2]


def sidecar_env(data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TASKYARD_DATA_DIR": str(data),
        "XDG_CONFIG_HOME": str(data / "config"),
        "TASKYARD_DEMO_SPEED": "5",
        # Local workspaces here; tests/docker and tests/e2e/test_docker*.py use the engine.
        "TASKYARD_DOCKER": "0",
        "PYTHONPATH": str(ROOT / "server"),
    }


class Recorder:
    """Every taskyard notification the client received, in order, as raw JSON."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def of(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.items if m == method]

    def of_since(self, method: str, after: int) -> list[dict[str, Any]]:
        return [p for m, p in self.items[after:] if m == method]

    def mark(self) -> int:
        """A position in the stream: wait(after=mark) ignores what came before it."""
        return len(self.items)

    async def wait(
        self,
        method: str,
        pred: Callable[[dict[str, Any]], bool],
        timeout: float = 30.0,
        after: int = 0,
    ) -> dict[str, Any]:
        end = time.monotonic() + timeout
        seen = len(self.of_since(method, 0)) - len(self.of_since(method, after))
        while time.monotonic() < end:
            found = self.of(method)
            for params in found[seen:]:
                if pred(params):
                    return params
            seen = len(found)
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"no {method} matching within {timeout}s; last: {self.of(method)[-3:]}"
        )


class E2EProtocol(RawProtocol, LanguageClientProtocol):
    """pytest-lsp's client protocol (its checks, its notification waits), Taskyard's raw."""


def make_client() -> LanguageClient:
    """pytest-lsp's test client (``make_test_lsp_client``) on :class:`E2EProtocol`.

    It keeps every ``taskyard/*`` notification, as raw JSON, in its ``recorder``.
    """
    client = LanguageClient(protocol_cls=E2EProtocol, converter_factory=raw_converter)
    register_lsp_features(client)  # what make_test_lsp_client adds: progress, configuration…
    recorder = Recorder()
    client.recorder = recorder  # type: ignore[attr-defined]
    record_notifications(
        client, lambda _at, method, params: recorder.items.append((method, params))
    )
    return client


FOLDERS: list[Path] = []
"""Every folder this run made (another run's, even at the same time, is not ours to remove)."""


def e2e_folder(kind: str) -> Path:
    """A fresh folder for this run's sidecars, removed (bridges stopped) when the run ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"taskyard-e2e-{kind}-"))
    FOLDERS.append(folder)
    return folder


DATA = e2e_folder("data")
WORKSPACE = e2e_folder("ws")


@pytest.fixture(scope="session", autouse=True)
def no_leftover_bridges() -> Iterator[None]:
    """Bridges outlive sidecars by design; after the e2e run none may outlive the tests."""
    yield
    for folder in FOLDERS:
        stop_bridges_under(folder)
        shutil.rmtree(folder, ignore_errors=True)


def server_config(data: Path = DATA) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "taskyard", "serve"],
        client_factory=make_client,
        server_env=sidecar_env(data),
    )


async def initialize(
    client: LanguageClient, workspace: Path = WORKSPACE, options: Any = None
) -> None:
    await client.initialize_session(
        types.InitializeParams(
            initialization_options=options,
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )


@pytest_lsp.fixture(scope="module", loop_scope="module", config=server_config())
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await initialize(lsp_client)
    yield lsp_client
    await lsp_client.shutdown_session()


async def call(client: LanguageClient, method: str, params: dict[str, Any]) -> Any:
    return await client.protocol.send_request_async(method, params)


def recorder(client: LanguageClient) -> Recorder:
    rec: Recorder = client.recorder  # type: ignore[attr-defined]
    return rec


async def start_sidecar(
    data: Path,
    workspace: Path,
    *,
    options: Any = None,
    env: dict[str, str] | None = None,
) -> LanguageClient:
    """A sidecar of its own (for tests that kill it or restart it), initialized."""
    client = make_client()
    await client.start_io(
        sys.executable, "-m", "taskyard", "serve", env=sidecar_env(data) | (env or {})
    )
    await initialize(client, workspace, options)
    return client


async def rpc(
    client: LanguageClient, method: str, params: dict[str, Any], within: float = 30
) -> Any:
    """A request answered within ``within`` seconds (a hang fails the test)."""
    return await asyncio.wait_for(client.protocol.send_request_async(method, params), within)
