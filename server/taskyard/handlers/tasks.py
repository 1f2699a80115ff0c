"""``taskyard/tasks/*``: every task request, each a call into the task service."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from taskyard.protocol import (
    TaskRef,
    TasksCreateParams,
    TasksDeleteParams,
    TasksKeysParams,
    TasksListParams,
    TasksLogsParams,
    TasksMessagesParams,
    TasksSendParams,
)
from taskyard.protocol import _generated as wire
from taskyard.rpc import method
from taskyard.services.tasks import Progress


def progress(ls: Any, token: Any, title: str) -> Progress | None:
    """``$/progress`` for a long operation, when the client offered a work-done token."""
    if token is None:
        return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))

    def report(message: str, done: bool = False) -> None:
        if done:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        else:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    return report


@method(wire.TASKS_CREATE)
async def create(ls: Any, params: TasksCreateParams, token: Any) -> Any:
    tasks = (await ls.services()).tasks
    return await tasks.create(params, progress(ls, token, "Creating task"))


@method(wire.TASKS_LIST)
async def list_tasks(ls: Any, params: TasksListParams, _: Any) -> Any:
    return await (await ls.services()).tasks.list_tasks(params)


@method(wire.TASKS_GET)
async def get(ls: Any, params: TaskRef, _: Any) -> Any:
    return await (await ls.services()).tasks.get(params.task)


@method(wire.TASKS_MESSAGES)
async def messages(ls: Any, params: TasksMessagesParams, _: Any) -> Any:
    return await (await ls.services()).tasks.messages(params.task, params.after)


@method(wire.TASKS_SEND)
async def send(ls: Any, params: TasksSendParams, _: Any) -> Any:
    return await (await ls.services()).tasks.send(params.task, params.content, params.queue)


@method(wire.TASKS_INTERRUPT)
async def interrupt(ls: Any, params: TaskRef, _: Any) -> Any:
    return await (await ls.services()).tasks.interrupt(params.task)


@method(wire.TASKS_PAUSE)
async def pause(ls: Any, params: TaskRef, token: Any) -> Any:
    tasks = (await ls.services()).tasks
    return await tasks.pause(params.task, progress(ls, token, "Pausing task"))


@method(wire.TASKS_RESUME)
async def resume(ls: Any, params: TaskRef, token: Any) -> Any:
    tasks = (await ls.services()).tasks
    return await tasks.resume(params.task, progress(ls, token, "Resuming task"))


@method(wire.TASKS_DELETE)
async def delete(ls: Any, params: TasksDeleteParams, _: Any) -> Any:
    return await (await ls.services()).tasks.delete(params.task, keep_work=params.keep_work)


@method(wire.TASKS_LOGS)
async def logs(ls: Any, params: TasksLogsParams, _: Any) -> Any:
    return await (await ls.services()).tasks.logs(params.task, params.format)


@method(wire.TASKS_SCREEN)
async def screen(ls: Any, params: TaskRef, _: Any) -> Any:
    return await (await ls.services()).tasks.screen(params.task)


@method(wire.TASKS_KEYS)
async def keys(ls: Any, params: TasksKeysParams, _: Any) -> Any:
    return await (await ls.services()).tasks.keys(params.task, params.data)


HANDLERS = {
    wire.TASKS_CREATE: create,
    wire.TASKS_LIST: list_tasks,
    wire.TASKS_GET: get,
    wire.TASKS_MESSAGES: messages,
    wire.TASKS_SEND: send,
    wire.TASKS_INTERRUPT: interrupt,
    wire.TASKS_PAUSE: pause,
    wire.TASKS_RESUME: resume,
    wire.TASKS_DELETE: delete,
    wire.TASKS_LOGS: logs,
    wire.TASKS_SCREEN: screen,
    wire.TASKS_KEYS: keys,
}
