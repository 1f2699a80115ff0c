"""The command line as a whole: usage, help, errors, output helpers, ``serve`` and ``demo``."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest

from taskyard.cli.output import Output, relative, render_table
from taskyard.cli.parser import FORMATS, STATUSES
from taskyard.cli.runtime import CliError, report
from taskyard.errors import TaskNotFoundError
from taskyard.protocol import LogFormat, TaskStatus

from .conftest import Cli

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        pytest.param(
            (), 2, "taskyard: error: the following arguments are required: COMMAND", id="none"
        ),
        pytest.param(("--help",), 0, "Run coding agents as background tasks.", id="help"),
        pytest.param(("task", "create", "--help"), 0, "--display-name", id="create-help"),
        pytest.param(("serve", "--help"), 0, "--tcp PORT", id="serve-help"),
        pytest.param(("serve", "--tcp", "x"), 2, "invalid int value: 'x'", id="serve-usage"),
        pytest.param(("demo", "--help"), 0, "usage: ", id="demo-help"),
    ],
)
def test_usage_and_help(cli: Cli, args: tuple[str, ...], code: int, expected: str) -> None:
    result = cli(*args)
    assert result.code == code
    assert expected in result.out + result.err


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "just now", id="now"),
        pytest.param(42, "42s ago", id="seconds"),
        pytest.param(180, "3m ago", id="minutes"),
        pytest.param(7300, "2h ago", id="hours"),
        pytest.param(90000, "1d ago", id="days"),
    ],
)
def test_relative_times(seconds: int, text: str) -> None:
    assert relative(NOW - timedelta(seconds=seconds), NOW) == text


def test_relative_time_of_nothing() -> None:
    assert relative(None) == "-"


def test_tables_align_and_continue_multi_line_cells() -> None:
    table = render_table(("type", "content"), [["input", "one"], ["output", "two\nlines"]])
    assert table.splitlines() == [
        "TYPE    CONTENT",
        "input   one",
        "output  two",
        "        lines",
    ]


def outputs(mode: str) -> tuple[Output, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Output(mode, out, err), out, err  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "code", "line", "kind"),
    [
        pytest.param(
            TaskNotFoundError("x"),
            1,
            "taskyard: error: no task with id or name 'x'",
            "taskNotFound",
            id="domain",
        ),
        pytest.param(
            CliError("bad flags", exit_code=2), 2, "taskyard: error: bad flags", "usage", id="usage"
        ),
    ],
)
def test_report_known_errors(exc: Exception, code: int, line: str, kind: str) -> None:
    output, out, err = outputs("json")
    assert report(exc, output, None) == code
    assert err.getvalue().strip() == line
    assert f'"kind": "{kind}"' in out.getvalue()


def test_report_a_bug_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    output, out, err = outputs("table")
    with caplog.at_level(logging.ERROR):
        assert report(RuntimeError("secret detail"), output, Path("/data/cli.log")) == 1
    message = err.getvalue().strip()
    assert message.startswith("taskyard: error: unexpected error (ref ")
    assert message.endswith("; details in /data/cli.log")
    assert "secret detail" not in message and out.getvalue() == ""
    ref = message.split("(ref ")[1].split(")")[0]
    assert caplog.records[-1].exc_info is not None and ref in caplog.records[-1].getMessage()


def test_logs_go_to_a_file_not_the_terminal(cli: Cli) -> None:
    result = cli("task", "list")
    assert result.err.strip() == "No tasks." and result.out == ""
    assert "taskyard task list" in (cli.data / "cli.log").read_text()


def test_the_parser_knows_the_wire_values_without_importing_them() -> None:
    assert get_args(TaskStatus) == STATUSES
    assert get_args(LogFormat) == FORMATS
