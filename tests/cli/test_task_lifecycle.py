"""One demo task's whole life through the ``taskyard task`` verbs, in both output modes.

create → list → status --watch until idle → send → logs (table, JSON, txt, md, jsonl) →
screen → pause (confirmation, snapshot) → resume → send to a paused task resumes it →
Ctrl-C a watcher → interrupt ``sleep 20`` → resume --no-wait → delete -y → delete again fails.
The tests run in file order and share the task ``life``.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from .conftest import Cli, Result, state_of

NAME = "life"
PROMPT = "create notes.txt with first line"
UUID_LENGTH = 36


@pytest.fixture(scope="module")
def created(cli: Cli) -> Result:
    return cli("task", "create", PROMPT, "--template", "demo", "--name", NAME)


def test_create_prints_the_task_once_its_workspace_runs(cli: Cli, created: Result) -> None:
    assert created.code == 0, created.err
    assert created.out.startswith(f"Created task {NAME} (")
    assert "agent bridge listening" in created.err  # start-up lines as they come
    assert f"taskyard task status {NAME} --watch" in created.err
    task = cli.task(NAME)
    assert task["workspace"]["status"] == "running"
    assert task["status"] in ("initializing", "active")


def test_create_quiet_prints_only_the_id_and_json_the_task(cli: Cli) -> None:
    quiet = cli("task", "create", "create q.txt with q", "--template", "demo", "-q")
    assert quiet.code == 0, quiet.err
    assert len(quiet.out.strip()) == UUID_LENGTH and "\n" not in quiet.out.strip()
    assert "agent bridge" not in quiet.err
    made = cli(
        "task", "create", "say hi", "--template", "demo", "--preset", "walkthrough",
        "-p", "style=concise", "--name", "json-one", "--display-name", "JSON one", "-o", "json",
    )  # fmt: skip
    assert made.code == 0, made.err
    task = made.json()
    assert (task["name"], task["displayName"], task["preset"]) == (
        "json-one",
        "JSON one",
        "walkthrough",
    )
    assert task["parameters"] == {"style": "concise", "max_files": "3", "speed": "1"}
    assert task["workspace"]["status"] == "running"
    gone = cli("task", "delete", "-y", quiet.out.strip(), "json-one", "-o", "json")
    assert gone.code == 0, gone.err
    assert [t["name"] for t in gone.json()][1] == "json-one"
    assert [t["name"] for t in cli.tasks()] == [NAME]


def test_status_watch_prints_changes_until_idle(cli: Cli, created: Result) -> None:
    watched = cli.watch(NAME)
    assert watched.code == 0, watched.err
    lines = watched.out.strip().splitlines()
    assert lines[0].split() == ["STATE", "CHANGED", "STATUS", "HEALTHY", "STATE", "MESSAGE"]
    assert lines[-1].split()[1:4] == ["active", "yes", "idle"]
    assert "Created notes.txt" in lines[-1]
    again = cli("task", "status", NAME, "--watch", "-o", "json")
    rows = [json.loads(line) for line in again.out.splitlines()]
    assert len(rows) == 1 and state_of(rows[0]) == "idle"  # already idle: one line, done
    assert (Path(rows[0]["workspace"]["path"]) / "notes.txt").read_text() == "first line\n"


def test_status_in_both_modes(cli: Cli) -> None:
    table = cli("task", "status", NAME)
    header, row = table.out.strip().splitlines()
    assert header.split() == ["STATE", "CHANGED", "STATUS", "HEALTHY", "STATE", "MESSAGE"]
    assert re.fullmatch(r"(just now|\d+[smhd] ago) +active +yes +idle +Created \S+ \(.*", row)
    task = cli("task", "stat", NAME, "-o", "json").json()
    assert task["name"] == NAME and task["actions"]["send"] is True


def test_list_in_both_modes_with_filters(cli: Cli) -> None:
    table = cli("task", "list")
    header, row = table.out.strip().splitlines()
    assert header.split() == ["NAME", "STATUS", "STATE", "STATE", "CHANGED", "MESSAGE"]
    assert row.split()[:3] == [NAME, "active", "idle"]
    listed = cli("-o", "json", "task", "ls", "--template", "demo").json()
    assert listed["total"] == 1 and listed["tasks"][0]["name"] == NAME
    assert cli("task", "list", "-q").out.strip() == listed["tasks"][0]["id"]
    none = cli("task", "list", "--status", "paused,error")
    assert none.code == 0 and none.out == "" and "No tasks." in none.err
    assert cli("task", "list", "--status", "active", "-o", "json").json()["total"] == 1


def test_send_delivers_a_follow_up(cli: Cli) -> None:
    sent = cli("task", "send", NAME, "create second.txt with more")
    assert sent.code == 0, sent.err
    assert sent.out.strip() == f"Delivered the message to task {NAME}."
    assert cli.watch(NAME).code == 0
    piped = cli("task", "send", NAME, "--stdin", "-o", "json", stdin="edit second.txt again\n")
    assert piped.json() == {"delivered": True, "queued": False, "resumed": False}
    assert cli.watch(NAME).code == 0


def test_logs_as_a_table_and_as_json(cli: Cli) -> None:
    table = cli("task", "logs", NAME)
    lines = table.out.splitlines()
    assert lines[0].split() == ["TYPE", "CONTENT"]
    assert f"input   {PROMPT}" in lines
    assert any(line.startswith("output") and "Created second.txt" in line for line in lines)
    data = cli("task", "logs", NAME, "-o", "json").json()
    assert data["snapshot"] is False
    contents = [m["content"] for m in data["messages"] if m["role"] == "user"]
    assert contents == [PROMPT, "create second.txt with more", "edit second.txt again"]


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        pytest.param("txt", lambda text: f"[input]\n{PROMPT}" in text, id="txt"),
        pytest.param("md", lambda text: text.startswith("# ") and "### Agent" in text, id="md"),
        pytest.param(
            "jsonl",
            lambda text: json.loads(text.splitlines()[0])["type"] == "task",
            id="jsonl",
        ),
    ],
)
def test_logs_download_in_each_format(cli: Cli, fmt: str, check: object) -> None:
    saved = cli("task", "logs", NAME, "--format", fmt)
    assert saved.code == 0, saved.err
    path = Path(saved.out.strip().rsplit(" to ", 1)[1])
    assert path.parent == cli.project and path.name.endswith(f".{fmt}")
    assert check(path.read_text())  # type: ignore[operator]
    chosen = cli("task", "logs", NAME, "--format", fmt, "--output", "chosen.out", "-o", "json")
    info = chosen.json()
    assert info["path"] == str(cli.project / "chosen.out")
    assert check((cli.project / "chosen.out").read_text())  # type: ignore[operator]
    streamed = cli("task", "logs", NAME, "--format", fmt, "--output", "-")
    assert streamed.out == path.read_text()


def test_logs_format_from_the_file_name(cli: Cli) -> None:
    saved = cli("task", "logs", NAME, "--output", "transcript.md")
    assert saved.code == 0, saved.err
    assert (cli.project / "transcript.md").read_text().startswith("# ")
    missing = cli("task", "logs", NAME, "--output", "no/such/dir/transcript.md")
    assert missing.code == 1
    assert missing.error_line.endswith("transcript.md: No such file or directory")


def test_screen_in_both_modes(cli: Cli) -> None:
    screen = cli("task", "screen", NAME)
    assert "Taskyard demo agent" in screen.out
    data = cli("task", "screen", NAME, "-o", "json").json()
    assert data["columns"] > 10 and "Taskyard demo agent" in data["screen"]


def test_pause_asks_for_confirmation(cli: Cli) -> None:
    refused = cli("task", "pause", NAME)
    assert refused.code == 1
    assert "refusing to pause a task without confirmation" in refused.error_line
    assert "-y/--yes" in refused.error_line
    assert cli.task(NAME)["status"] == "active"


def test_pause_then_logs_are_the_snapshot(cli: Cli) -> None:
    paused = cli("task", "pause", NAME, "-y")
    assert paused.code == 0, paused.err
    assert paused.out.strip() == f"Paused task {NAME}."
    assert "Stopping the workspace" in paused.err
    logs = cli("task", "logs", NAME)
    assert f"Task {NAME} is paused: this is the snapshot taken" in logs.err
    assert PROMPT in logs.out
    data = cli("task", "logs", NAME, "-o", "json").json()
    assert data["snapshot"] is True and data["snapshotAt"]
    assert cli.task(NAME)["status"] == "paused"


def test_resume_waits_for_the_agent(cli: Cli) -> None:
    resumed = cli("task", "resume", NAME)
    assert resumed.code == 0, resumed.err
    assert resumed.out.strip() == f"Resumed task {NAME}: active."
    assert "agent bridge listening" in resumed.err
    assert cli.task(NAME)["status"] == "active"
    paused = cli("task", "pause", NAME, "--yes", "-o", "json").json()
    assert paused["status"] == "paused" and paused["actions"]["resume"] is True


def test_send_to_a_paused_task_resumes_it(cli: Cli) -> None:
    sent = cli("task", "send", NAME, "create third.txt with after the pause")
    assert sent.code == 0, sent.err
    assert f"Task {NAME} is paused: resuming it first" in sent.err
    assert sent.out.strip() == f"Resumed task {NAME}, then delivered the message."
    assert cli.watch(NAME).code == 0
    user = [m for m in cli("task", "logs", NAME, "-o", "json").json()["messages"]]
    assert user[-1]["content"].startswith("Created third.txt")
    assert sum(m["content"] == PROMPT for m in user) == 1  # resuming never re-runs the prompt


def test_ctrl_c_ends_a_watch_cleanly(cli: Cli) -> None:
    assert cli("task", "send", NAME, "sleep 20").code == 0
    watcher = cli.popen("task", "status", NAME, "--watch")
    assert watcher.stdout is not None
    assert "STATE CHANGED" in watcher.stdout.readline()
    assert "working" in watcher.stdout.readline()
    watcher.send_signal(signal.SIGINT)
    _, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


def test_interrupt_stops_a_long_turn(cli: Cli) -> None:
    assert state_of(cli.task(NAME)) == "working"
    stopped = cli("task", "interrupt", NAME)
    assert stopped.code == 0, stopped.err
    assert stopped.out.strip() == f"Interrupted the agent of task {NAME}."
    watched = cli.watch(NAME)
    assert watched.code == 0 and "Interrupted" in watched.out.splitlines()[-1]
    assert cli("task", "send", NAME, "sleep 20", "-o", "json").json()["delivered"] is True
    started = time.monotonic()
    task = cli("task", "interrupt", NAME, "-o", "json").json()
    assert task["name"] == NAME
    assert cli.watch(NAME).code == 0
    assert time.monotonic() - started < 15


def test_resume_no_wait_returns_once_the_workspace_runs(cli: Cli) -> None:
    assert cli("task", "pause", NAME, "-y").code == 0
    task = cli("task", "resume", NAME, "--no-wait", "-o", "json").json()
    assert task["workspace"]["status"] == "running"
    assert cli.watch(NAME).code == 0
    assert cli.task(NAME)["status"] == "active"


def test_delete_asks_then_deletes_then_fails(cli: Cli) -> None:
    refused = cli("task", "delete", NAME)
    assert refused.code == 1 and "refusing to delete tasks" in refused.error_line
    task = cli.task(NAME)
    deleted = cli("task", "rm", NAME, "-y")
    assert deleted.code == 0, deleted.err
    assert deleted.out.strip() == f"Deleted task {NAME}."
    assert cli.tasks() == []
    assert not Path(task["workspace"]["path"]).exists()
    again = cli("task", "delete", NAME, "-y")
    assert again.code == 1
    assert again.error_line == f"taskyard: error: no task with id or name '{NAME}'"
    as_json = cli("-o", "json", "task", "delete", task["id"], "-y")
    assert as_json.code == 1
    assert as_json.json()["error"] == {
        "kind": "taskNotFound",
        "message": f"no task with id or name '{task['id']}'",
        "code": 1001,
    }
