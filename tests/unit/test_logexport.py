"""Log export: golden files per case, plus tables for the edge cases.

Each folder under ``tests/data/logexport/<case>/`` holds ``input.json`` (the task summary, logs,
messages and the secrets to mask) and the expected export in each format
(``expected.txt``, ``expected.md``, ``expected.jsonl``).
"""

from __future__ import annotations

import datetime
import enum
import json
import time
from pathlib import Path
from typing import Any

import pytest

from taskyard.services.logexport import (
    LogEntry,
    LogExport,
    LogFormat,
    MessageEntry,
    export,
    file_name,
    format_time,
)
from taskyard.services.secrets import MASK, Redactor

DATA = Path(__file__).resolve().parent.parent / "data" / "logexport"
CASES = sorted(p for p in DATA.iterdir() if (p / "input.json").is_file())
FORMATS: list[LogFormat] = ["txt", "md", "jsonl"]
T0 = datetime.datetime(2025, 6, 1, 10, 0, 0, 123456, tzinfo=datetime.UTC)
TASK = {
    "id": "01JX",
    "name": "fix-it-0a1b",
    "display_name": "Fix it",
    "template": "python-claude",
    "status": "active",
    "created_at": T0,
    "prompt": "Fix it",
}
SECRET = "sk-live-SECRET123"


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def load_case(folder: Path) -> tuple[dict[str, Any], list[MessageEntry], list[LogEntry], Redactor]:
    raw = json.loads((folder / "input.json").read_text(encoding="utf-8"))
    task = dict(raw["task"], created_at=_time(raw["task"]["created_at"]))
    messages = [(i, role, content, _time(t)) for i, role, content, t in raw["messages"]]
    logs = [(_time(t), stream, text) for t, stream, text in raw["logs"]]
    return task, messages, logs, Redactor(raw["secrets"])


def msg(i: int, role: str, content: str, seconds: float = 0) -> MessageEntry:
    return (i, role, content, T0 + datetime.timedelta(seconds=seconds))


def identity(text: str) -> str:
    return text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", CASES, ids=lambda p: p.name)
def test_golden(folder: Path, fmt: LogFormat) -> None:
    task, messages, logs, redactor = load_case(folder)
    result = export(task, messages, logs, fmt, redactor)
    expected = (folder / f"expected.{fmt}").read_text(encoding="utf-8")
    assert result.content == expected
    assert result.file_name == f"task-{task['name']}-logs.{fmt}"


def test_golden_cases_exist() -> None:
    assert {p.name for p in CASES} >= {"conversation", "empty"}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        pytest.param([], "", id="empty"),
        pytest.param(
            [msg(0, "user", "hi")], "[2025-06-01T10:00:00.123Z] [input]\nhi", id="one-user"
        ),
        pytest.param(
            [msg(0, "agent", "a\nb"), msg(1, "user", "c", 1.5)],
            "[2025-06-01T10:00:00.123Z] [output]\na\nb\n[2025-06-01T10:00:01.623Z] [input]\nc",
            id="multi-line-joined-by-newline",
        ),
        pytest.param(
            [msg(0, "agent", "")], "[2025-06-01T10:00:00.123Z] [output]\n", id="empty-content"
        ),
        pytest.param(
            [msg(0, "user", "naïve 東京 ✅")],
            "[2025-06-01T10:00:00.123Z] [input]\nnaïve 東京 ✅",
            id="unicode",
        ),
    ],
)
def test_txt_is_coders_format(messages: list[MessageEntry], expected: str) -> None:
    result = export(TASK, messages, [(T0, "startup", "not in txt")], "txt", identity)
    assert result == LogExport("task-fix-it-0a1b-logs.txt", expected, "text/plain")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "where",
    ["content", "log", "prompt", "display_name", "template"],
)
def test_secret_is_masked_everywhere(fmt: LogFormat, where: str) -> None:
    task = dict(TASK)
    messages = [msg(0, "user", "hello")]
    logs: list[LogEntry] = [(T0, "startup", "boot")]
    if where == "content":
        messages.append(msg(1, "agent", f"token={SECRET}|{SECRET}"))
    elif where == "log":
        logs.append((T0, "system", f"export KEY={SECRET}"))
    else:
        task[where] = f"x | {SECRET}\n{SECRET}"
    content = export(task, messages, logs, fmt, Redactor([SECRET])).content
    assert SECRET not in content
    # The export may leave a field out (txt has no logs or metadata), never unmask it.
    if fmt in {"md", "jsonl"} or where == "content":
        assert MASK in content


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("txt", "text/plain"), ("md", "text/markdown"), ("jsonl", "application/jsonl")],
)
def test_mime_types(fmt: LogFormat, mime: str) -> None:
    assert export(TASK, [], [], fmt, identity).mime_type == mime


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown log format"):
        export(TASK, [], [], "html", identity)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "fmt", "expected"),
    [
        pytest.param(TASK, "md", "task-fix-it-0a1b-logs.md", id="name"),
        pytest.param({"id": "01JX"}, "jsonl", "task-01JX-logs.jsonl", id="id-without-name"),
        pytest.param({"name": "../../etc/x y"}, "txt", "task-..-..-etc-x-y-logs.txt", id="unsafe"),
        pytest.param({}, "txt", "task-unnamed-logs.txt", id="nothing"),
    ],
)
def test_file_name(task: dict[str, Any], fmt: str, expected: str) -> None:
    assert file_name(task, fmt) == expected
    assert "/" not in file_name(task, fmt)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(T0, "2025-06-01T10:00:00.123Z", id="utc"),
        pytest.param(
            datetime.datetime(
                2025, 6, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "2025-06-01T10:00:00.000Z",
            id="offset",
        ),
        pytest.param(datetime.datetime(2025, 6, 1, 10, 0), "2025-06-01T10:00:00.000Z", id="naive"),
    ],
)
def test_format_time(value: datetime.datetime, expected: str) -> None:
    assert format_time(value) == expected


def test_md_fence_outgrows_backticks_in_logs() -> None:
    logs: list[LogEntry] = [(T0, "startup", "````` five backticks")]
    content = export(TASK, [], logs, "md", identity).content
    assert "\n``````text\n" in content and content.count("``````") == 2


def test_md_table_cells_are_escaped() -> None:
    task = dict(TASK, template="a|b", status="x\ny")
    content = export(task, [], [], "md", identity).content
    assert "| Template | a\\|b |" in content
    assert "| Status | x<br>y |" in content


def test_md_roles_and_enum_values() -> None:
    class Role(enum.Enum):  # not a str: the export must use its value
        USER = "user"
        AGENT = "agent"

    messages = [(0, Role.AGENT, "hello", T0), (1, Role.USER, "hi", T0)]
    md = export(TASK, messages, [], "md", identity).content  # type: ignore[arg-type]
    assert "### Agent\n\n*2025-06-01T10:00:00.123Z*\n\nhello" in md
    assert "### User\n\n*2025-06-01T10:00:00.123Z*\n\nhi" in md
    txt = export(TASK, messages, [], "txt", identity).content  # type: ignore[arg-type]
    assert txt.splitlines()[0] == "[2025-06-01T10:00:00.123Z] [output]"


def test_jsonl_records() -> None:
    messages = [msg(0, "agent", 'a\n"b"\n東京'), msg(1, "user", "c", 1)]
    logs: list[LogEntry] = [(T0, "startup", "boot")]
    content = export(TASK, messages, logs, "jsonl", identity).content
    assert content.endswith("\n")
    records = [json.loads(line) for line in content.splitlines()]
    assert [r["type"] for r in records] == ["task", "log", "message", "message"]
    assert records[0] == {
        "type": "task",
        "id": "01JX",
        "name": "fix-it-0a1b",
        "display_name": "Fix it",
        "template": "python-claude",
        "status": "active",
        "created_at": "2025-06-01T10:00:00.123Z",
        "prompt": "Fix it",
    }
    assert records[1] == {
        "type": "log",
        "time": "2025-06-01T10:00:00.123Z",
        "stream": "startup",
        "text": "boot",
    }
    assert records[2] == {
        "type": "message",
        "id": 0,
        "role": "agent",
        "content": 'a\n"b"\n東京',
        "time": "2025-06-01T10:00:00.123Z",
    }


def test_jsonl_missing_task_fields_are_null() -> None:
    header = json.loads(export({"id": "x"}, [], [], "jsonl", identity).content)
    assert header["id"] == "x" and header["name"] is None and header["prompt"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_large_task_exports_quickly(fmt: LogFormat) -> None:
    messages = [
        msg(i, "user" if i % 2 else "agent", f"message {i}\n" + "lorem ipsum " * 40, i)
        for i in range(10_000)
    ]
    logs: list[LogEntry] = [(T0, "startup", f"line {i}") for i in range(2_000)]
    redactor = Redactor([SECRET, "another-secret-value"])
    started = time.perf_counter()
    content = export(TASK, messages, logs, fmt, redactor).content
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{fmt} export took {elapsed:.3f}s"
    assert "message 9999" in content
