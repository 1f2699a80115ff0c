"""``taskyard demo``: the Quick-start demo, the product working end to end in under a minute.

It starts the real sidecar (``python -m taskyard serve``) and drives it over JSON-RPC on stdio
exactly as the VS Code extension does, with Taskyard's own demo agent in a local workspace: no
API key, Docker, network or terminal needed, so CI runs it too. The stages: list and validate
templates, create a task (status, start-up log and agent state streamed as they arrive), talk to
the agent (a follow-up, a message queued while it is busy, an interrupt), pause and resume it,
save its logs, show its work as a patch (``taskyard/tasks/diff``), delete it, shut the sidecar
down, and sum up the timings.

Every failure ends with one clear message and exit code 1, never a traceback or a hang: each
request and each wait has a timeout, and a sidecar that dies is noticed at once.
Run it as ``python -m taskyard.demo`` (or ``nox -s demo``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from taskyard.demo.client import SETTLED, DemoError, Sidecar, TaskFeed
from taskyard.demo.code import show_diff
from taskyard.demo.env import (
    docker_reachable,
    make_repo,
    provider_text,
    release,
    sidecar_command,
    sidecar_env,
)
from taskyard.demo.out import Out, describe_parameter, plain, short, size

PROMPT = 'create hello.py with print("hello from Taskyard")'
FILE = "hello.py"
FOLLOW_UP = "sleep 2 and tell me"
QUEUED = "list the files"
LONG = "sleep 20"


class Demo:
    """One run of the demo; see the module docstring for its stages."""

    def __init__(self, args: argparse.Namespace, out: Out) -> None:
        self.args = args
        self.out = out
        self.temp_data = args.data_dir is None
        self.data = (args.data_dir or Path(tempfile.mkdtemp(prefix="taskyard-demo-"))).resolve()
        self.repo = Path(tempfile.mkdtemp(prefix="taskyard-demo-repo-")).resolve()
        command = shlex.split(args.server_command) if args.server_command else sidecar_command()
        self.feed = TaskFeed(out)
        self.sidecar = Sidecar(command, sidecar_env(self.data), self.feed)
        self.task: dict[str, Any] = {}
        self.deleted = False
        self.docker = False
        self.timings: list[tuple[str, float]] = []

    def provider(self) -> str:
        return provider_text(self.task["workspace"]["provider"], self.docker)

    def timed(self, label: str, since: float, until: float | None = None) -> float:
        took = (until or time.monotonic()) - since
        self.timings.append((label, took))
        return took

    async def call(self, method: str, params: dict[str, Any], within: float = 20.0) -> Any:
        return await self.sidecar.call(method, params, within)

    async def send(self, text: str, queue: bool = False) -> dict[str, Any]:
        self.out.line("send", text + ("  (queue: true)" if queue else ""), "cyan")
        params = {"task": self.task["id"], "content": text, "queue": queue}
        result: dict[str, Any] = await self.call("taskyard/tasks/send", params)
        return result

    async def run(self) -> None:
        out = self.out
        out.title("Taskyard demo: the sidecar driven over JSON-RPC, as the VS Code extension does")
        out.title("(the demo agent plays the coding agent: no API key, Docker or network needed)")
        await self.start()
        await self.templates()
        await self.create()
        await self.converse()
        await self.interrupt()
        await self.pause_and_resume()
        await self.artifacts()
        await self.finish()
        self.summary()

    async def start(self) -> None:
        out = self.out
        out.section("Sidecar")
        if not self.temp_data:
            kept = "chosen with --data-dir"
        else:
            kept = "temporary, kept (--keep)" if self.args.keep else "temporary; --keep keeps it"
        out.line("data", f"{self.data}  ({kept})")
        out.line("editor", f"{self.repo}  ({await asyncio.to_thread(make_repo, self.repo)})")
        out.line("start", shlex.join(self.sidecar.command) + "  (JSON-RPC over stdio)")
        began = time.monotonic()
        result = await self.sidecar.start(self.repo)
        info = result.server_info
        who = f"{info.name} {info.version}" if info else "the sidecar"
        took = self.timed("sidecar start → initialized", began)
        out.ok("ready", f"{who} initialized in {took:.2f}s (work-done progress offered)")

    async def templates(self) -> None:
        out = self.out
        out.section("Templates")
        catalog = await self.call("taskyard/templates/list", {})
        out.line("list", f"{len(catalog['templates'])} templates (taskyard/templates/list)")
        for tpl in catalog["templates"]:
            out.detail(f"{tpl['name']:<10} {short(plain(tpl.get('description', '')), 64)}")
        for diag in catalog.get("diagnostics", []):
            out.detail(f"! {diag.get('path', '')}: {diag.get('message', '')}", "yellow")
        demo = next((t for t in catalog["templates"] if t["name"] == "demo"), None)
        if demo is None:
            raise DemoError("the built-in `demo` template is missing from the catalog")
        params = ", ".join(describe_parameter(p) for p in demo["parameters"])
        presets = ", ".join(p["name"] + " (default)" * p["default"] for p in demo["presets"])
        out.line("demo", f"parameters: {params}")
        out.detail(f"presets: {presets}")
        bad = await self.call(
            "taskyard/templates/validate", {"template": "demo", "parameters": {"max_files": "50"}}
        )
        if bad["valid"] or not bad["errors"]:
            raise DemoError("the sidecar accepted max_files=50, outside the template's 1-20 range")
        for err in bad["errors"]:
            out.bad("validate", f"max_files=50 → {err['parameter']}: {err['message']}")
        good = await self.call(
            "taskyard/templates/validate",
            {"template": "demo", "preset": "quick", "parameters": {"max_files": "3"}},
        )
        if not good["valid"]:
            raise DemoError(f"valid values were rejected: {good['errors']}")
        values = " ".join(f"{k}={v}" for k, v in good["resolved"].items())
        out.ok("validate", f"preset quick + max_files=3 → {values}")

    async def create(self) -> None:
        out = self.out
        out.section("Task")
        token = f"create-{secrets.token_hex(3)}"
        name = f"demo-hello-{secrets.token_hex(2)}"  # a given name: no naming model, no network
        out.line("create", f"template demo, preset quick, work-done token {token}")
        out.detail(f"prompt: {PROMPT}")
        began = time.monotonic()
        params = {
            "template": "demo",
            "preset": "quick",
            "parameters": {"max_files": "3"},
            "prompt": PROMPT,
            "name": name,
            "workDoneToken": token,
        }
        self.task = await self.call("taskyard/tasks/create", params)
        self.docker = await asyncio.to_thread(docker_reachable)
        out.line("task", f"{self.task['name']}  (id {self.task['id']})")
        out.line("workspace", self.provider(), "bold")
        self.feed.follow(self.task)
        await self.feed.wait(lambda: self.feed.turn_done(PROMPT), "the agent's first reply", 60)
        if self.feed.first_active is not None:
            self.timed("create → agent accepting input (active)", began, self.feed.first_active)
        reply = self.feed.reply_to(PROMPT)
        assert reply is not None  # turn_done held
        self.timed("create → first reply", began, reply.at)
        if not {"pending", "initializing", "active"} <= set(self.feed.statuses):
            raise DemoError(f"unexpected status sequence: {' → '.join(self.feed.statuses)}")
        out.ok("task", "pending → initializing → active; the agent replied and is idle")

    async def converse(self) -> None:
        out = self.out
        feed = self.feed
        out.section("Follow-up, and a message queued while the agent is busy")
        sent_at = time.monotonic()
        await self.send(FOLLOW_UP)

        def busy() -> bool:
            return feed.user_message(FOLLOW_UP) is not None and feed.state == "working"

        await feed.wait(busy, f"the agent to start on {FOLLOW_UP!r}", 20)
        queued_at = time.monotonic()
        result = await self.send(QUEUED, queue=True)
        if result["queued"]:
            out.line(
                "queued", f"the agent is busy: it waits in the queue ({result.get('queueId')})"
            )
        else:
            out.line("sent", "delivered at once: the agent was already idle", "yellow")
        await feed.wait(lambda: feed.turn_done(QUEUED), "the reply to the queued message", 40)
        first, second = feed.reply_to(FOLLOW_UP), feed.reply_to(QUEUED)
        assert first is not None and second is not None
        out.ok("replies", f"{short(first.content, 30)!r} and {short(second.content, 30)!r}")
        self.timed(f"follow-up {FOLLOW_UP!r} → reply", sent_at, first.at)
        self.timed(f"queued {QUEUED!r} → reply", queued_at, second.at)

    async def interrupt(self) -> None:
        out = self.out
        feed = self.feed
        out.section("Interrupt")
        await self.send(LONG)

        def sleeping() -> bool:
            return feed.user_message(LONG) is not None and feed.state == "working"

        await feed.wait(sleeping, "the agent to start sleeping", 20)
        await asyncio.sleep(1.0)  # let it visibly work for a moment
        out.line("interrupt", "taskyard/tasks/interrupt (what Escape does in the agent)", "cyan")
        began = time.monotonic()
        await self.call("taskyard/tasks/interrupt", {"task": self.task["id"]})
        await feed.wait(lambda: feed.turn_done(LONG), "the interrupted turn to end", 20)
        reply = feed.reply_to(LONG)
        if reply is None or "interrupt" not in reply.content.lower():
            raise DemoError(f"the agent did not report the interrupt: {reply and reply.content!r}")
        took = self.timed("interrupt → agent idle", began)
        out.ok("interrupt", f"the 20 s turn ended {took:.2f}s after the interrupt")

    async def pause_and_resume(self) -> None:
        out = self.out
        feed = self.feed
        task_id = self.task["id"]
        out.section("Pause and resume")
        before = (await self.call("taskyard/tasks/messages", {"task": task_id}))["messages"]
        token = f"pause-{secrets.token_hex(3)}"
        feed.chatty_tokens.add(token)  # pause's steps are not in the task log: show them
        out.line("pause", f"taskyard/tasks/pause (work-done token {token})", "cyan")
        began = time.monotonic()
        await self.call("taskyard/tasks/pause", {"task": task_id, "workDoneToken": token}, 30)
        await feed.wait(lambda: feed.status == "paused", "the task to be paused", 20)
        self.timed("pause", began)
        snap = await self.call("taskyard/tasks/messages", {"task": task_id})
        if not snap["snapshot"]:
            raise DemoError("taskyard/tasks/messages did not serve the snapshot while paused")
        if _contents(snap["messages"]) != _contents(before):
            raise DemoError("the pause snapshot differs from the conversation before the pause")
        out.ok(
            "messages",
            f"snapshot: true, {len(snap['messages'])} messages saved at {snap.get('snapshotAt')}",
        )
        out.line("resume", "taskyard/tasks/resume", "cyan")
        mark = feed.tick
        began = time.monotonic()
        await self.call("taskyard/tasks/resume", {"task": task_id}, 30)

        def ready() -> bool:
            return feed.status == "active" and feed.state in SETTLED and feed.state_tick > mark

        await feed.wait(ready, "the resumed agent to accept input", 40)
        self.timed("resume → agent accepting input", began)
        after = await self.call("taskyard/tasks/messages", {"task": task_id})
        kept = _contents(after["messages"])[: len(before)] == _contents(before)
        prompts = _contents(after["messages"]).count(("user", PROMPT))
        if after["snapshot"] or not kept or prompts != 1:
            raise DemoError(
                f"the conversation changed across resume (snapshot {after['snapshot']}, "
                f"earlier messages kept {kept}, prompt sent {prompts} times)"
            )
        out.ok("resume", f"live again; the {len(before)} earlier messages are intact")
        out.ok("resume", "the prompt was not re-run (it appears once in the conversation)")

    async def artifacts(self) -> None:
        out = self.out
        out.section("Logs and the work")
        logs = await self.call("taskyard/tasks/logs", {"task": self.task["id"], "format": "md"})
        path = self.args.logs.resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(logs["content"], encoding="utf-8")
        except OSError as exc:
            raise DemoError(f"could not write the logs to {path}: {exc.strerror}") from None
        out.ok("logs", f"saved {path} ({size(path.stat().st_size)}, Markdown)")
        out.detail(f"the sidecar suggested the name {logs['fileName']}")
        show_diff(out, await self.call("taskyard/tasks/diff", {"task": self.task["id"]}, 60), FILE)
        if not (self.repo / FILE).exists():
            out.detail(f"the editor's folder {self.repo} is untouched: the task has its own")

    async def finish(self) -> None:
        out = self.out
        out.section("Clean-up")
        task_id = self.task["id"]
        if self.args.keep:
            # A kept task is paused: its files and conversation stay, no process outlives us.
            await self.call("taskyard/tasks/pause", {"task": task_id}, 30)
            await self.feed.wait(lambda: self.feed.status == "paused", "the task to pause", 20)
            folder = self.feed.task["workspace"].get("path")
            name = self.task["name"]
            out.ok("kept", f"task {name}, paused; its files: {folder}")
            out.detail(f"kept too: the data folder {self.data} and the editor folder {self.repo}")
            out.detail(f"resume it: TASKYARD_DATA_DIR={self.data} taskyard task resume {name}")
        else:
            # Until didDelete, the sidecar reports the bridge's teardown (it re-follows the task
            # and sees the agent exit); a view drops the task at didDelete, so the demo too.
            self.feed.muted = True
            await self.call("taskyard/tasks/delete", {"task": task_id}, 30)
            await self.feed.wait(lambda: self.feed.deleted, "taskyard/tasks/didDelete", 20)
            self.deleted = True
            gone = not (self.data / "workspaces" / task_id).exists()
            out.ok("delete", "task deleted" + (", its workspace folder removed" if gone else ""))
        code = await self.sidecar.stop()
        if code != 0:
            raise DemoError(f"the sidecar exited with code {code} on shutdown", self.sidecar.tail())
        out.ok("sidecar", "shut down cleanly (shutdown, exit; exit code 0)")

    def summary(self) -> None:
        out = self.out
        out.section("Summary")
        out.detail(f"task ran in: {self.provider()}; agent: {self.task['agentType']}")
        width = max(len(label) for label, _ in self.timings)
        for label, took in self.timings:
            out.detail(f"{label:<{width}}  {took:6.2f}s")
        out.detail(f"{'whole demo':<{width}}  {out.elapsed():6.2f}s")

    async def cleanup(self, failed: bool) -> None:
        """After success or failure: no task, process or temporary folder is left behind."""
        task_id = self.task.get("id")
        alive = self.sidecar.returncode is None
        if failed and task_id and alive and not self.deleted and not self.args.keep:
            self.feed.muted = True
            with contextlib.suppress(DemoError):  # the bridges are stopped below regardless
                await self.call("taskyard/tasks/delete", {"task": task_id}, 15)
                self.deleted = True
        await self.sidecar.stop()
        if not self.args.keep:
            for pid in release(self.data, self.temp_data, self.repo, task_id):
                self.out.detail(f"stopped a leftover agent bridge (pid {pid})", "yellow")
        elif failed:
            self.out.detail(f"kept for inspection: {self.data} and {self.repo}")


def _contents(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in messages]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="taskyard demo",
        description="Run a task with Taskyard's demo agent through the real sidecar.",
    )
    add = parser.add_argument
    add("--data-dir", type=Path, help="Taskyard data folder (default: a fresh temporary one)")
    add("--keep", action="store_true", help="keep the data folder, the repository and the task")
    default_logs = Path(tempfile.gettempdir()) / "taskyard-demo-logs.md"
    add("--logs", type=Path, default=default_logs, metavar="PATH",
        help=f"where to save the task's logs (default: {default_logs})")  # fmt: skip
    # For tests: a sidecar command that fails shows the failure path.
    add("--server-command", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, out: Out) -> int:
    demo = Demo(args, out)
    error: DemoError | None = None
    completed = False
    try:
        await demo.run()
        completed = True
    except DemoError as exc:
        error = exc
    except BrokenPipeError:
        error = DemoError("the output was closed (broken pipe)")
    except Exception as exc:  # the demo promises a message, never a traceback
        error = DemoError(f"unexpected {type(exc).__name__}: {exc}", demo.sidecar.tail())
    finally:  # also on Ctrl-C, which cancels this coroutine
        try:
            await demo.cleanup(failed=not completed)
        except Exception as exc:  # reported, but it must not hide the outcome behind a traceback
            out.detail(f"clean-up failed: {type(exc).__name__}: {exc}", "yellow")
    if error is not None:
        out.error(error.message, error.detail)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        # A CI log with an ASCII locale must not turn "→" into a UnicodeEncodeError.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    # pygls logs protocol chatter at WARNING, which would land on stderr mid-demo.
    logging.getLogger("pygls").addHandler(logging.NullHandler())
    logging.getLogger("pygls").propagate = False
    out = Out()
    try:
        return asyncio.run(run(args, out))
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
