"""``taskyard/tasks/*``: every task request, each a call into the task service."""

from __future__ import annotations

from taskyard.app import Services
from taskyard.protocol import (
    TASKS_CREATE,
    TASKS_DELETE,
    TASKS_GET,
    TASKS_INTERRUPT,
    TASKS_KEYS,
    TASKS_LIST,
    TASKS_LOGS,
    TASKS_MESSAGES,
    TASKS_PAUSE,
    TASKS_RESUME,
    TASKS_SCREEN,
    TASKS_SEND,
    Task,
    TaskIdentity,
    TaskRef,
    TasksCreateParams,
    TasksDeleteParams,
    TasksDeleteResult,
    TasksKeysParams,
    TasksListParams,
    TasksListResult,
    TasksLogsParams,
    TasksLogsResult,
    TasksMessagesParams,
    TasksMessagesResult,
    TasksScreenResult,
    TasksSendParams,
    TasksSendResult,
)
from taskyard.rpc import Call, method


@method(TASKS_CREATE)
async def create(services: Services, params: TasksCreateParams, call: Call) -> Task:
    return await services.tasks.create(params, call.progress("Creating task"))


@method(TASKS_LIST)
async def list_tasks(services: Services, params: TasksListParams, _: Call) -> TasksListResult:
    return await services.tasks.list_tasks(params)


@method(TASKS_GET)
async def get(services: Services, params: TaskRef, _: Call) -> Task:
    return await services.tasks.get(params.task)


@method(TASKS_MESSAGES)
async def messages(services: Services, params: TasksMessagesParams, _: Call) -> TasksMessagesResult:
    return await services.tasks.messages(params.task, params.after)


@method(TASKS_SEND)
async def send(services: Services, params: TasksSendParams, _: Call) -> TasksSendResult:
    return await services.tasks.send(params.task, params.content, params.queue)


@method(TASKS_INTERRUPT)
async def interrupt(services: Services, params: TaskRef, _: Call) -> Task:
    return await services.tasks.interrupt(params.task)


@method(TASKS_PAUSE)
async def pause(services: Services, params: TaskRef, call: Call) -> Task:
    return await services.tasks.pause(params.task, call.progress("Pausing task"))


@method(TASKS_RESUME)
async def resume(services: Services, params: TaskRef, call: Call) -> Task:
    return await services.tasks.resume(params.task, call.progress("Resuming task"))


@method(TASKS_DELETE)
async def delete(services: Services, params: TasksDeleteParams, _: Call) -> TasksDeleteResult:
    return await services.tasks.delete(params.task, keep_work=params.keep_work)


@method(TASKS_LOGS)
async def logs(services: Services, params: TasksLogsParams, _: Call) -> TasksLogsResult:
    return await services.tasks.logs(params.task, params.format)


@method(TASKS_SCREEN)
async def screen(services: Services, params: TaskRef, _: Call) -> TasksScreenResult:
    return await services.tasks.screen(params.task)


@method(TASKS_KEYS)
async def keys(services: Services, params: TasksKeysParams, _: Call) -> TaskIdentity:
    return await services.tasks.keys(params.task, params.data)
