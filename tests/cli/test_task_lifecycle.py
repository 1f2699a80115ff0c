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

from .conftest import Cli, Result, bridge_pids, state_of

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
    # Where it runs, and why not in Docker (the CLI tests turn Docker off).
    assert "It runs as local processes in " in created.err
    assert "(Docker is not used: turned off by TASKYARD_DOCKER=0" in created.err
    task = cli.task(NAME)
    assert task["workspace"]["status"] == "running"
    assert task["status"] in ("initializing", "active")


def test_create_quiet_prints_only_the_id_and_json_the_task(cli: Cli) -> None:
    quiet = cli("task", "create", "--stdin", "--template", "demo", "-q", stdin="say hi\n")
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


def test_ctrl_c_during_create_lets_the_startup_finish(cli: Cli) -> None:
    creating = cli.popen("task", "create", "create c.txt with c", "--template", "demo")
    assert creating.stderr is not None
    creating.stderr.readline()  # its first start-up line: the workspace is being created
    creating.send_signal(signal.SIGINT)
    out, err = creating.communicate(timeout=30)
    assert creating.returncode == 130, err
    assert "letting the workspace of task" in err or "keeps running" in err
    assert "Traceback" not in err and out == ""
    (task,) = [t for t in cli.tasks() if t["name"] != NAME]
    assert task["workspace"]["status"] == "running"  # its bridge is recorded, not orphaned
    assert cli("task", "delete", "-y", task["id"]).code == 0
    assert not [pid for pid in bridge_pids(cli.data) if task["id"] in cmdline(pid)]


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
    assert "It runs as local processes in " in table.err
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
    none = cli("task", "list", "--status", "paused,error", "--status", "pending")
    assert none.code == 0 and none.out == "" and "No tasks." in none.err


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


def test_logs_download_in_each_format(cli: Cli) -> None:
    saved = cli("task", "logs", NAME, "--format", "txt")
    assert saved.code == 0, saved.err
    path = cli.project / f"task-{NAME}-logs.txt"  # the service's file name, in the cwd
    assert saved.out.strip() == f"Saved the txt log of task {NAME} to {path}"
    assert f"[input]\n{PROMPT}" in path.read_text()
    markdown = cli("task", "logs", NAME, "--format", "md", "--output", "-")
    assert markdown.out.startswith("# ") and "### Agent" in markdown.out
    lines = cli("task", "logs", NAME, "--output", "out.jsonl", "-o", "json")  # format from name
    assert lines.json() == {
        "path": str(cli.project / "out.jsonl"),
        "fileName": f"task-{NAME}-logs.jsonl",
        "mimeType": "application/jsonl",
    }
    rows = [json.loads(line) for line in (cli.project / "out.jsonl").read_text().splitlines()]
    assert rows[0]["type"] == "task" and any(r["type"] == "message" for r in rows)
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


def test_send_queue_to_a_busy_agent(cli: Cli) -> None:
    assert cli("task", "send", NAME, "sleep 5").code == 0
    queued = cli("task", "send", NAME, "create queued.txt with later", "--queue")
    assert queued.code == 0, queued.err
    assert queued.out.startswith(f"Task {NAME} is busy: queued the message (id ")
    assert "it is delivered when the agent is idle" in queued.out
    done = Path(cli.task(NAME)["workspace"]["path"]) / "queued.txt"
    for _ in range(5):  # the watch may end at the idle moment before the queued turn
        if done.exists():
            break
        cli.watch(NAME)
    assert done.read_text() == "later\n"


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
    assert bridge_pids(cli.data) == []  # deleting stopped every bridge
    assert as_json.json()["error"] == {
        "kind": "taskNotFound",
        "message": f"no task with id or name '{task['id']}'",
        "code": 1001,
    }


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_workspace_providers_says_where_tasks_run(cli: Cli) -> None:
    table = cli("workspace", "providers")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["PROVIDER", "AVAILABLE", "DETAIL"]
    assert re.match(r"local +yes +processes on this machine", lines[1])
    assert re.match(r"docker +no +turned off by TASKYARD_DOCKER=0", lines[2])
    assert "Templates that say `auto` run in: local" in table.out
    info = cli("workspace", "providers", "-o", "json").json()
    assert [p["name"] for p in info["providers"]] == ["local", "docker"]


def test_orphans_without_docker_is_a_clear_error(cli: Cli) -> None:
    result = cli("workspace", "orphans")
    assert result.code == 1
    assert "Docker is unavailable, so there are no containers to list: turned off" in result.err
    assert "Traceback" not in result.err
