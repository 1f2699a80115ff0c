"""A task's whole life in a container with the demo agent, through the provider and the
bridge client: create → ready → talk → pause → resume (conversation and session intact, the
prompt never sent twice) → delete (nothing left)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest

from taskyard.workspaces.docker.reconcile import duplicates, list_managed, orphans, remove_orphans

from .conftest import Harness, Logs, idle, wait_for, wait_reply

PROMPT = "create hello.txt with hi there"


def user_messages(messages: list[Any]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "user"]


async def test_full_lifecycle_with_the_demo_agent(harness: Harness) -> None:
    provider = harness.provider
    spec = harness.spec(initial_prompt=PROMPT)
    logs = Logs()

    data = await provider.create(spec, logs)
    assert data["bridge_url"].startswith("http://127.0.0.1:")
    assert await provider.inspect(data) == "running"
    assert "container started" in logs.text("startup")
    assert "serving demo agent" in logs.text("agent")

    client = provider.client(data)
    before = await wait_for(client, lambda s: idle(s) and s["initial_prompt_sent"])
    await wait_reply(client, "Created hello.txt")
    await client.send("what did you change")
    conversation = await wait_reply(client, "what did you change")
    await wait_for(client, idle)
    exec_cat = harness.container(spec.task_id).exec_run(["cat", "/workspace/hello.txt"])
    assert exec_cat.output == b"hi there\n"

    data = await provider.stop(data, grace=10.0)
    assert data["bridge_url"] is None
    assert await provider.inspect(data) == "stopped"
    assert harness.container(spec.task_id).status == "exited"
    # SIGINT reached the bridge, which saved its state and exited cleanly.
    assert harness.container(spec.task_id).attrs["State"]["ExitCode"] == 0
    saved = await provider.saved_state(data)  # read out of the stopped container
    assert saved is not None and saved["initial_prompt_sent"] is True
    assert any("Created hello.txt" in m["message"] for m in saved["messages"])

    resumed = Logs()
    data = await provider.start(data, spec, resumed)
    assert await provider.inspect(data) == "running"
    assert "resuming demo session" in resumed.text("agent")
    client = provider.client(data)
    after = await wait_for(client, idle)
    assert after["session_id"] == before["session_id"] == spec.task_id
    assert after["initial_prompt_sent"] is True
    messages = await client.messages()
    assert messages[: len(conversation)] == conversation
    assert user_messages(messages).count(PROMPT) == 1
    await client.send("and now?")
    await wait_reply(client, "and now?")
    assert user_messages(await client.messages()).count(PROMPT) == 1

    await provider.delete(data)
    assert harness.leftovers(spec.task_id) == []
    assert not Path(data["runtime"]).exists()
    assert await provider.inspect(data) == "missing"


async def created_with_reply(harness: Harness) -> tuple[Any, Any, list[Any]]:
    """A new demo task's (spec, workspace, conversation) once its prompt was answered."""
    spec = harness.spec(initial_prompt=PROMPT)
    data = await harness.provider.create(spec, Logs())
    client = harness.provider.client(data)
    await wait_for(client, lambda s: idle(s) and s["initial_prompt_sent"])
    conversation = await wait_reply(client, "Created hello.txt")
    return spec, data, conversation


async def test_a_removed_container_resumes_from_its_volumes(harness: Harness) -> None:
    provider = harness.provider
    spec, data, conversation = await created_with_reply(harness)
    data = await provider.stop(data, grace=10.0)
    await asyncio.to_thread(harness.container(spec.task_id).remove)
    assert await provider.inspect(data) == "stopped"  # the volumes still hold the task

    data = await provider.start(data, spec, Logs())
    client = provider.client(data)
    await wait_for(client, idle)
    messages = await client.messages()
    assert messages[: len(conversation)] == conversation
    assert user_messages(messages).count(PROMPT) == 1
    await provider.delete(data)
    assert harness.leftovers(spec.task_id) == []


async def test_orphans_are_listed_and_removed_by_label(harness: Harness) -> None:
    provider = harness.provider
    owned_spec, orphan_spec = harness.spec(), harness.spec()
    owned = await provider.create(owned_spec, Logs())
    await provider.create(orphan_spec, Logs())

    everything = await list_managed(provider.engine)
    mine = {o.task_id for o in everything} & {owned_spec.task_id, orphan_spec.task_id}
    assert mine == {owned_spec.task_id, orphan_spec.task_id}
    assert duplicates(everything) == []
    kinds = sorted((o.kind, o.role) for o in everything if o.task_id == orphan_spec.task_id)
    assert kinds == [("container", "workspace"), ("volume", "home"), ("volume", "work")]

    # Every other task on this engine counts as owned: only the orphan may go.
    known = {o.task_id for o in everything} - {orphan_spec.task_id}
    assert {o.task_id for o in await orphans(provider.engine, known)} == {orphan_spec.task_id}
    removed = await remove_orphans(provider.engine, known)
    assert {o.task_id for o in removed} == {orphan_spec.task_id}
    assert harness.leftovers(orphan_spec.task_id) == []
    assert await provider.inspect(owned) == "running"
    await provider.delete(owned)


@pytest.fixture
def git_repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository with one commit: (its folder, the commit)."""
    repo = tmp_path / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@taskyard.invalid"]
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("hello from the repo\n")
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    return repo, head.strip()


async def test_the_repository_is_cloned_into_the_work_volume(
    harness: Harness, git_repo: tuple[Path, str]
) -> None:
    repo, head = git_repo
    logs = Logs()
    spec = harness.spec(repo="worktree", source_repo=str(repo))
    data = await harness.provider.create(spec, logs)
    assert data["base_commit"] == head
    assert f"clone of {repo} at {head[:12]}" in logs.text("startup")
    container = harness.container(spec.task_id)
    readme = container.exec_run(["cat", "/workspace/README.md"], user="1000")
    assert readme.output == b"hello from the repo\n"
    status = container.exec_run(["git", "-C", "/workspace", "status", "--porcelain"])
    assert status.exit_code == 0 and status.output == b""
    owner = container.exec_run(["stat", "-c", "%u", "/workspace/README.md", "/workspace/.git"])
    assert owner.output.split() == [b"1000", b"1000"]
    await harness.provider.delete(data)


async def test_delete_can_keep_the_work_folder_on_the_host(harness: Harness) -> None:
    provider = harness.provider
    spec, data, _ = await created_with_reply(harness)
    data = await provider.stop(data, grace=10.0)
    kept = await provider.delete(data, keep_work=True)
    assert kept == str(provider.root / "kept" / spec.task_id)
    assert (Path(kept) / "hello.txt").read_text() == "hi there\n"
    assert (Path(kept) / ".git").is_dir()  # still a repository: diff it, commit it, push it
    assert harness.leftovers(spec.task_id) == []  # container and volumes are gone
