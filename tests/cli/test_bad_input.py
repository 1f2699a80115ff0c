"""Bad input: each case gets its own message and exit code, and creates nothing.

Domain errors exit with 1 and, in JSON mode, print ``{"error": {kind, message, code}}`` on
stdout besides the ``taskyard: error:`` line on stderr; usage errors exit with 2. Two tasks
exist throughout: ``taken`` (idle) and ``failing`` (its agent exited: status ``error``).
No case changes anything, so all of them run at once up front and each test checks its own.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import Cli, Result

USAGE, DOMAIN = 2, 1
CREATE = ("task", "create", "create x.txt with x", "--template", "demo")


@pytest.fixture(scope="module")
def tasks(cli: Cli) -> Cli:
    """``taken`` and ``failing``, the only tasks of the module."""
    for prompt, name in (("create t.txt with t", "taken"), ("fail", "failing")):
        made = cli("task", "create", prompt, "--template", "demo", "--name", name, "-q")
        assert made.code == 0, made.err
    assert cli.watch("failing").code == 1  # the watch ends in error
    return cli


DOMAIN_CASES = [
    pytest.param(
        ("task", "create", "hi", "--template", "nope"),
        "templateNotFound",
        ["template 'nope' not found"],
        id="unknown-template",
    ),
    pytest.param(
        (*CREATE, "--preset", "huge"),
        "presetNotFound",
        ["preset 'huge' not found in template 'demo'"],
        id="unknown-preset",
    ),
    pytest.param(
        (*CREATE, "-p", "max_files=50", "-p", "style=loud", "-p", "speed=fast"),
        "invalidParameters",
        ["max_files: Pick between 1 and 20 files, not 50.", "style: 'loud'", "speed: 'fast'"],
        id="invalid-values",
    ),
    pytest.param(
        (*CREATE, "-p", "colour=red"),
        "invalidParameters",
        ["colour: unknown parameter"],
        id="unknown-parameter",
    ),
    pytest.param(
        (*CREATE, "--name", "Not_A_Name"),
        "invalidParameters",
        ["invalid task name 'Not_A_Name'"],
        id="invalid-name",
    ),
    pytest.param(
        (*CREATE, "--name", "taken"),
        "nameConflict",
        ["a task named 'taken' already exists"],
        id="conflicting-name",
    ),
    pytest.param(
        ("task", "create", "hi", "--template", "claude"),
        "secretMissing",
        ["Secret 'anthropic-api-key' is not set", "ANTHROPIC_API_KEY"],
        id="missing-secret",
    ),
    pytest.param(
        ("task", "interrupt", "failing"),
        "taskNotReady",
        ["task 'failing' is error: its agent is not working"],
        id="interrupt-errored-task",
    ),
    pytest.param(
        ("task", "resume", "taken"),
        "invalidTransition",
        ["task 'taken' is active: only a paused or failed task"],
        id="resume-active-task",
    ),
    *[
        pytest.param(
            ("task", verb, "ghost", *extra),
            "taskNotFound",
            ["no task with id or name 'ghost'"],
            id=f"unknown-task-{verb}",
        )
        for verb, extra in (
            ("status", ()),
            ("send", ("hi",)),
            ("logs", ()),
            ("pause", ("-y",)),
            ("delete", ("taken", "-y")),  # one unknown name deletes nothing
            ("screen", ()),
        )
    ],
]


USAGE_CASES = [
    pytest.param(
        ("task", "create", "--template", "demo"), "", "a prompt is required", id="no-prompt"
    ),
    pytest.param((*CREATE, "--stdin"), "also piped", "not both", id="prompt-and-stdin"),
    pytest.param(
        (*CREATE, "-p", "speed"), "", "expected NAME=VALUE, got 'speed'", id="bad-p-syntax"
    ),
    pytest.param((*CREATE, "-p", "=4"), "", "expected NAME=VALUE, got '=4'", id="p-without-name"),
    pytest.param(("task", "create", "hi"), "", "required: --template", id="no-template"),
    pytest.param(
        ("task", "list", "--status", "sleeping"), "", "unknown status 'sleeping'", id="status"
    ),
    pytest.param(("task", "list", "-o", "yaml"), "", "invalid choice: 'yaml'", id="output"),
    pytest.param(("task", "send", "taken"), "", "a message is required", id="no-message"),
    pytest.param(("task", "logs", "taken", "--output", "a.pdf"), "", "--format", id="ext"),
    pytest.param(("task", "frobnicate"), "", "invalid choice: 'frobnicate'", id="verb"),
    pytest.param(("task",), "", "required: VERB", id="no-verb"),
]

Command = tuple[tuple[str, ...], str]


@pytest.fixture(scope="module")
def ran(tasks: Cli) -> dict[Command, Result]:
    """Every case's result by (arguments, stdin); domain errors run in JSON mode."""
    commands: list[Command] = [(("-o", "json", *case.values[0]), "") for case in DOMAIN_CASES]
    commands += [(case.values[0], case.values[1]) for case in USAGE_CASES]  # type: ignore[misc]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda c: tasks(*c[0], stdin=c[1]), commands))
    return dict(zip(commands, results, strict=True))


@pytest.mark.parametrize(("args", "kind", "fragments"), DOMAIN_CASES)
def test_domain_errors(
    ran: dict[Command, Result], args: tuple[str, ...], kind: str, fragments: list[str]
) -> None:
    result = ran[(("-o", "json", *args), "")]
    assert result.code == DOMAIN, result.err
    assert result.error_line.startswith("taskyard: error: ")
    error = result.json()["error"]
    assert error["kind"] == kind
    assert isinstance(error["code"], int) and error["code"] >= 1000
    for fragment in fragments:
        assert fragment in result.error_line
        assert fragment in error["message"]


@pytest.mark.parametrize(("args", "stdin", "fragment"), USAGE_CASES)
def test_usage_errors(
    ran: dict[Command, Result], args: tuple[str, ...], stdin: str, fragment: str
) -> None:
    result = ran[(args, stdin)]
    assert result.code == USAGE, result.err
    assert result.out == ""
    assert result.error_line.startswith("taskyard: error: ")
    assert fragment in result.error_line


def test_nothing_was_created_or_deleted(tasks: Cli) -> None:
    listed = tasks.tasks()
    assert sorted(t["name"] for t in listed) == ["failing", "taken"]
    assert {t["name"]: t["status"] for t in listed} == {"failing": "error", "taken": "active"}
    workspaces = tasks.data / "workspaces"
    assert sorted(p.name for p in workspaces.iterdir()) == sorted(t["id"] for t in listed)
