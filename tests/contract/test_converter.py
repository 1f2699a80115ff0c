"""The wire converter's rules, one table per rule: defaults, omissions, date-times, errors."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from taskyard.protocol import (
    INVALID_PARAMS,
    TASKS_LIST,
    TASKS_SEND,
    TEMPLATES_LIST,
    ParamsError,
    Task,
    TaskActions,
    TasksListParams,
    TasksSendParams,
    WireError,
    WorkspaceInfo,
    structure,
    structure_params,
    unstructure,
)

UTC = datetime.UTC
NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def task(**changes: Any) -> Task:
    fields: dict[str, Any] = {
        "id": "t-1",
        "name": "demo-1a2b",
        "display_name": "Demo",
        "template": "local-demo",
        "parameters": {},
        "prompt": "Say hi",
        "status": "pending",
        "workspace": WorkspaceInfo(provider="local", status="creating"),
        "agent_type": "demo",
        "created_at": NOON,
        "updated_at": NOON,
        "actions": TaskActions(send=False, interrupt=False, pause=False, resume=False, delete=True),
    }
    return Task(**{**fields, **changes})


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(TasksListParams(), {"limit": 100}, id="schema-default-is-written"),
        pytest.param(
            TasksSendParams(task="t", content="hi"),
            {"task": "t", "content": "hi", "queue": False},
            id="false-default-is-written",
        ),
        pytest.param(
            TasksListParams(status=["active"], limit=5),
            {"status": ["active"], "limit": 5},
            id="none-fields-are-omitted",
        ),
    ],
)
def test_unstructure_keeps_defaults_and_omits_none(obj: object, expected: dict[str, Any]) -> None:
    assert unstructure(obj) == expected


def test_unstructure_renames_to_camel_case() -> None:
    data = unstructure(task())
    assert {"displayName", "agentType", "createdAt", "updatedAt"} <= data.keys()
    assert "state" not in data
    assert "error" not in data


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        pytest.param(NOON, "2026-03-01T12:00:00.000Z", id="utc"),
        pytest.param(
            NOON.astimezone(datetime.timezone(datetime.timedelta(hours=2))),
            "2026-03-01T12:00:00.000Z",
            id="offset-converted-to-utc",
        ),
        pytest.param(
            NOON.replace(microsecond=123456), "2026-03-01T12:00:00.123Z", id="ms-precision"
        ),
    ],
)
def test_datetimes_go_out_as_utc_milliseconds(value: datetime.datetime, wire: str) -> None:
    assert unstructure(task(created_at=value))["createdAt"] == wire


@pytest.mark.parametrize(
    "wire",
    ["2026-03-01T12:00:00Z", "2026-03-01T13:00:00+01:00", "2026-03-01T12:00:00.000Z"],
)
def test_datetimes_come_in_from_any_rfc3339_offset(wire: str) -> None:
    data = {**unstructure(task()), "createdAt": wire}
    assert structure(data, Task).created_at == NOON


def test_naive_datetimes_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        unstructure(task(created_at=datetime.datetime(2026, 3, 1, 12, 0)))
    with pytest.raises(WireError, match=r"@ \$\.createdAt"):
        structure({**unstructure(task()), "createdAt": "2026-03-01T12:00:00"}, Task)


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        pytest.param(TEMPLATES_LIST, None, "TemplatesListParams()", id="omitted-params-are-empty"),
        pytest.param(
            TASKS_LIST,
            {},
            "TasksListParams(status=None, template=None, limit=100, cursor=None)",
            id="defaults-applied",
        ),
    ],
)
def test_structure_params_accepts(method: str, params: Any, expected: str) -> None:
    assert repr(structure_params(method, params)) == expected


@pytest.mark.parametrize(
    ("method", "params", "errors"),
    [
        pytest.param(
            TASKS_SEND,
            {"content": "hi", "bogus": 1},
            ["extra fields found (bogus) @ $", "required field missing @ $.task"],
            id="every-problem-listed",
        ),
        pytest.param(
            TASKS_SEND,
            ["t", "hi"],
            ["invalid type (expected object, got array) @ $"],
            id="positional-params",
        ),
        pytest.param(
            TASKS_LIST,
            {"status": ["active", "active"]},
            ["['active', 'active'] has non-unique elements @ $.status"],
            id="unique-items",
        ),
        pytest.param(
            TASKS_LIST,
            {"template": None},
            ["invalid type (expected string, got null) @ $.template"],
            id="null-is-not-absent",
        ),
    ],
)
def test_structure_params_rejects(method: str, params: Any, errors: list[str]) -> None:
    with pytest.raises(ParamsError) as caught:
        structure_params(method, params)
    assert list(caught.value.errors) == errors
    assert caught.value.message == "; ".join(errors)
    assert caught.value.code == INVALID_PARAMS == -32602


def test_structure_params_unknown_method_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        structure_params("taskyard/tasks/explode", {})


def test_unstructure_refuses_non_protocol_values() -> None:
    with pytest.raises(TypeError):
        unstructure({"id": "x"})


def test_params_error_can_be_raised_with_one_message() -> None:
    error = ParamsError("required field missing @ $.template")
    assert error.errors == ("required field missing @ $.template",)
    assert str(error) == error.message == "required field missing @ $.template"
