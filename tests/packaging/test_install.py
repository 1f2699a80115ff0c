"""The wheel, installed into a fresh venv outside the checkout, works as Taskyard.

``pip wheel --no-deps`` builds it, ``pip install`` puts it (and its dependencies) into a new venv,
and the venv's own ``taskyard`` command, with a data folder of its own, lists the built-in
templates and runs a demo task to an idle agent, as local processes and in Docker: the reply,
the file in the task's work and the logs are checked, then the task is deleted and no bridge,
container or volume is left behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engines import engine_or_skip
from tests.processes import bridges_under

from .conftest import ROOT, Installed, User

pytestmark = pytest.mark.slow

PROMPT = "create hello.py that prints hi"
BUILTIN = {"demo", "claude", "aider", "custom"}


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Installed, user: User
) -> None:
    code = "import json, sys, taskyard; print(json.dumps([taskyard.__file__, sys.path]))"
    module, path = json.loads(user.python(code))
    assert Path(module).is_relative_to(installed.venv), module
    assert "site-packages" in Path(module).parts, module
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path
    assert user("--help").code == 0
    assert (installed.venv / "bin" / "taskyard-bridge").is_file()


def test_the_installed_package_builds_a_self_contained_bridge(
    installed: Installed, user: User
) -> None:
    """What workspaces run: bridge.pyz, packed from the installed modules alone."""
    pyz = user.home / "bridge.pyz"
    subprocess.run(
        [installed.python, "-m", "taskyard.bridge.zipapp", pyz],
        cwd=user.project, env=user.env(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    # A plain interpreter, nothing installed, no PYTHONPATH: the zipapp alone serves.
    base = Path(getattr(sys, "_base_executable", sys.executable))
    helped = subprocess.run(
        [base, "-I", pyz, "--help"], cwd=user.project, env=user.env(),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert helped.returncode == 0, helped.stderr
    assert "server" in helped.stdout


def test_template_list_has_the_builtin_templates(installed: Installed, user: User) -> None:
    listed = user("template", "list", "-o", "json")
    assert listed.code == 0, listed.err
    sources = {t["name"]: t["source"] for t in listed.json()["templates"]}
    assert {name: sources.get(name) for name in BUILTIN} == dict.fromkeys(BUILTIN, "builtin")
    assert listed.json()["diagnostics"] == []
    table = user("template", "list")
    assert {line.split()[0] for line in table.out.splitlines()[1:]} >= BUILTIN
    # The built-in folder the installed package reads is its own, in the venv.
    info = user("workspace", "providers", "-o", "json").json()
    builtin = Path(info["templateFolders"][-1])
    assert builtin.is_relative_to(installed.venv) and (builtin / "demo.toml").is_file(), info


# -- one demo task ----------------------------------------------------------------------------


def create(user: User, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``task create`` with the demo template: the task once its workspace runs."""
    made = user("task", "create", PROMPT, "--template", "demo", "-o", "json", env=env)
    assert made.code == 0, made.err
    task: dict[str, Any] = made.json()
    assert task["template"] == "demo" and task["workspace"]["status"] == "running", task
    return task


def wait_idle(user: User, task: dict[str, Any]) -> dict[str, Any]:
    """``task status --watch`` until the agent stops working: the last snapshot, idle."""
    watched = user("task", "status", task["id"], "--watch", "-o", "json")
    assert watched.code == 0, watched.err
    last: dict[str, Any] = json.loads(watched.out.splitlines()[-1])
    assert (last["status"], last["state"]["state"]) == ("active", "idle"), last
    assert "hello.py" in last["state"]["message"], last
    return last


def check_logs(user: User, task: dict[str, Any]) -> None:
    """The conversation as JSON, and downloaded as a Markdown file."""
    logs = user("task", "logs", task["id"], "-o", "json")
    assert logs.code == 0, logs.err
    messages = logs.json()["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [PROMPT]
    assert messages[-1]["role"] == "agent" and "hello.py" in messages[-1]["content"], messages
    saved = user("task", "logs", task["id"], "--format", "md", "--output", "task.md")
    assert saved.code == 0, saved.err
    markdown = (user.project / "task.md").read_text()
    assert PROMPT in markdown and "Created hello.py" in markdown


def delete(user: User, task: dict[str, Any]) -> None:
    """``task delete`` refuses without a terminal, then ``-y`` deletes the task."""
    refused = user("task", "delete", task["id"])
    assert refused.code == 1 and "pass -y/--yes" in refused.err, refused.err
    deleted = user("task", "delete", "-y", task["id"])
    assert deleted.code == 0, deleted.err
    assert deleted.out.strip() == f"Deleted task {task['name']}."
    assert user("task", "list", "-a", "-q").out == ""


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def test_a_demo_task_runs_as_local_processes(installed: Installed, user: User) -> None:
    task = create(user, {"TASKYARD_DOCKER": "0"})
    assert task["workspace"]["provider"] == "local"
    idle = wait_idle(user, task)
    work = Path(idle["workspace"]["path"])
    assert work.is_relative_to(user.data), work
    assert "hi" in (work / "hello.py").read_text()
    # The task's bridge is the installed package, run by the venv's interpreter.
    bridges = bridges_under(user.home)
    assert bridges, "no bridge runs for the task"
    for pid in bridges:
        assert cmdline(pid)[0] == str(installed.python), cmdline(pid)
    check_logs(user, task)
    delete(user, task)
    assert not bridges_under(user.home), "a bridge outlived its task"
    assert not work.exists()


@pytest.fixture(scope="module")
def docker_engine() -> Iterator[Any]:
    """A plain docker client, to look for what the task left (skips without an engine)."""
    client = engine_or_skip()
    yield client
    client.close()


def on_engine(client: Any, task: dict[str, Any]) -> list[str]:
    """Names of the task's containers and volumes."""
    labels = {"label": [f"dev.taskyard.task={task['id']}"]}
    containers = [c.name for c in client.containers.list(all=True, filters=labels)]
    return containers + [v.name for v in client.volumes.list(filters=labels)]


def test_a_demo_task_runs_in_docker(user: User, docker_engine: Any) -> None:
    task = create(user)  # the template says auto: Docker, since an engine answers
    try:
        assert task["workspace"]["provider"] == "docker", task
        assert on_engine(docker_engine, task)
        wait_idle(user, task)
        # The file is in the container's work volume: the task's work as a patch shows it.
        diff = user("task", "diff", task["id"])
        assert diff.code == 0, diff.err
        added = [line for line in diff.out.splitlines() if line.startswith("+")]
        assert added[0] == "+++ b/hello.py" and "hi" in added[1], diff.out
        check_logs(user, task)
        delete(user, task)
        assert on_engine(docker_engine, task) == []
        orphans = user("workspace", "orphans", "-o", "json")
        assert orphans.code == 0 and orphans.json() == [], orphans.out
        assert not bridges_under(user.home)
    finally:  # whatever a failed step left on the engine
        labels = {"label": [f"dev.taskyard.task={task['id']}"]}
        for container in docker_engine.containers.list(all=True, filters=labels):
            container.remove(force=True)
        for volume in docker_engine.volumes.list(filters=labels):
            volume.remove(force=True)
