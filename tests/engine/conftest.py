"""The engine suite's harness: real engines on a real SQLite file, over the fake provider.

Each :class:`Engine` is what one Taskyard process builds (``build_engine``, as the sidecar and
the CLI do), with :class:`~tests.fakes.provider.FakeProvider` in place of the local and Docker
providers and :class:`~tests.fakes.provider.FakeOwners` in place of ``/proc``. Two engines on
one store and one fake world stand for two processes acting on the same tasks; ``crash()``
stands for a ``kill -9``: the engine stops without finishing anything, and its owner marks
become those of a dead process.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from taskyard.lifecycle import Phase, TaskStatus
from taskyard.protocol import LogLine, Task, TaskMessage, TasksCreateParams
from taskyard.services.names import NameGenerator
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord, TaskStore
from taskyard.services.tasks import TaskService, build_engine
from taskyard.services.templates import TemplateFolder, TemplateService
from tests.fakes.provider import FakeOwners, FakeProvider, FakeWorld

TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "templates" / "engine"


class Events:
    """Every announcement an engine made, in order."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.deleted: list[str] = []
        self.logs: list[tuple[str, LogLine]] = []

    def task_changed(self, task: Task) -> None:
        self.tasks.append(task)

    def task_deleted(self, task_id: str, name: str) -> None:
        self.deleted.append(task_id)

    def message_changed(self, task_id: str, message: TaskMessage) -> None:
        return None

    def log_appended(self, task_id: str, lines: list[LogLine]) -> None:
        self.logs.extend((task_id, line) for line in lines)

    def of(self, task_id: str) -> list[Task]:
        return [t for t in self.tasks if t.id == task_id]


class NoKeyring:
    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("no keyring in the engine suite")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("no keyring in the engine suite")


class Engine:
    """One engine ("process") and what it announced."""

    def __init__(self, name: str, world: FakeWorld, store: TaskStore, catalog: TemplateService):
        self.name = name
        self.world = world
        self.store = store
        self.events = Events()
        self.owners = FakeOwners(world, name)
        providers = {"local": FakeProvider(world, "local"), "docker": FakeProvider(world, "docker")}

        async def choose(wanted: str) -> str:
            return "local" if wanted == "auto" else wanted

        async def no_key() -> str | None:
            return None

        secrets = SecretStore(NoKeyring(), env={})
        self.service: TaskService = build_engine(
            store=store,
            catalog=catalog,
            secrets=secrets,
            names=NameGenerator(None, no_key, random.Random(7)),
            providers=providers,
            events=self.events,
            choose_provider=choose,
            owners=self.owners,
            stop_grace=0.5,
            owner_check=0.05,
        )
        self.service.lifecycle._poll = 0.01
        self.service.talk._poll = 0.01

    async def create(self, prompt: str = "hello", **params: Any) -> Task:
        return await self.service.create(
            TasksCreateParams(template=params.pop("template", "plain"), prompt=prompt, **params)
        )

    async def record(self, task_id: str) -> TaskRecord | None:
        return await self.store.get_task(task_id)

    async def until(
        self, task_id: str, done: Callable[[TaskRecord | None], bool], within: float = 5.0
    ) -> TaskRecord | None:
        """The task's record once ``done`` holds for it (fails the test after ``within`` s)."""
        end = asyncio.get_running_loop().time() + within
        while True:
            record = await self.record(task_id)
            if done(record):
                return record
            if asyncio.get_running_loop().time() > end:
                raise AssertionError(f"{self.name}: task never got there; last: {record}")
            await asyncio.sleep(0.01)

    async def active(self, task_id: str) -> TaskRecord:
        """The task once it runs with an idle (or otherwise settled) agent."""
        record = await self.until(
            task_id,
            lambda r: (
                r is not None
                and r.status is TaskStatus.ACTIVE
                and r.state is not None
                and r.state.state.value in ("idle", "complete", "needs_input")
            ),
        )
        assert record is not None
        return record

    async def in_phase(self, task_id: str, phase: Phase) -> TaskRecord:
        record = await self.until(task_id, lambda r: r is not None and r.workspace.phase is phase)
        assert record is not None
        return record

    async def crash(self) -> None:
        """kill -9: its owner marks become a dead process's, and nothing of it runs on.

        A step held on a gate stays held (as a killed process's would, never finishing nor
        cleaning up); its monitors and its watch on the store stop.
        """
        self.owners.die()
        await self.service.monitors.close()
        self.service._watch_stop.set()


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TaskStore]:
    async with TaskStore(tmp_path / "taskyard.db") as opened:
        yield opened


@pytest.fixture
async def catalog() -> AsyncIterator[TemplateService]:
    loaded = TemplateService([TemplateFolder(TEMPLATES, "builtin")])
    await loaded.load()
    yield loaded
    await loaded.close()


@pytest.fixture
async def engines(
    world: FakeWorld, store: TaskStore, catalog: TemplateService
) -> AsyncIterator[Callable[[str], Awaitable[Engine]]]:
    """Start engines by name; all are closed at the end of the test."""
    made: list[Engine] = []

    async def start(name: str, *, watch: bool = True, reconcile: bool = True) -> Engine:
        engine = Engine(name, world, store, catalog)
        if reconcile:
            await engine.service.start(watch=watch)
        made.append(engine)
        return engine

    yield start
    for engine in made:
        await engine.service.close()


@pytest.fixture
async def engine(engines: Callable[[str], Awaitable[Engine]]) -> Engine:
    return await engines("a")
