"""Records real agent screens as test fixtures for the bridge's screen rules.

Runs the real Claude Code and Aider (installed by ``tools/install-agents.sh``) in a PTY against
the fake LLM servers in ``tests/fakes``, renders their output with pyte at 100x30, and writes one
folder per agent and case under ``tests/data/screens/<agent>/<case>/``:

``screen.txt``           the screen to classify (lines right-stripped, joined by newlines)
``expected.json``        ``{"kind": ..., "message": ...}``, the verdict the rules must give
``before.txt``, ``after.txt``, ``input.txt``, ``expected_reply.txt``
                         reply cases only: the screens around one user message and its clean reply

Expected values are written down in the case tables below (by a human who read the screens),
not computed by the rules under test. Run from the repository root::

    .venv/bin/python tools/record_screens.py [--agent claude|aider] [--case NAME] [--show]

Each agent gets its own temporary HOME and working directory; nothing outside them is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ptyprocess
import pyte

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.fakes when run as a script

from tests.fakes.fake_anthropic import FakeAnthropic  # noqa: E402
from tests.fakes.fake_openai import FakeOpenAI  # noqa: E402

COLS, ROWS = 100, 30
AGENTS_BIN = ROOT / ".cache" / "agents" / "bin"
OUT = ROOT / "tests" / "data" / "screens"


class AnsweringScreen(pyte.Screen):
    """A pyte screen that answers the terminal's queries (cursor position, device attributes).

    Without answers Aider prints a CPR warning and Claude Code waits for replies that never come.
    """

    def __init__(self, columns: int, lines: int, reply: Callable[[bytes], object]) -> None:
        super().__init__(columns, lines)
        self._reply = reply

    def write_process_input(self, data: str) -> None:
        self._reply(data.encode())


class PtyAgent:
    """One agent process in a PTY whose output a reader thread feeds into a pyte screen."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.proc = ptyprocess.PtyProcess.spawn(
            argv, cwd=str(cwd), env={**env, "TERM": "xterm-256color"}, dimensions=(ROWS, COLS)
        )
        self.screen = AnsweringScreen(COLS, ROWS, self.proc.write)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.last_change = time.monotonic()
        self.pretty = True  # aider's output style, for cases whose expectations depend on it
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                data = self.proc.read(65536)
            except EOFError:
                return
            with self.lock:
                self.stream.feed(data)
                self.last_change = time.monotonic()

    def text(self) -> str:
        with self.lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def wait(self, check: Callable[[str], bool], timeout: float = 60.0, what: str = "") -> None:
        """Wait until ``check(screen text)`` holds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check(self.text()):
                return
            time.sleep(0.05)
        raise TimeoutError(f"timed out waiting for {what or check}:\n{self.text()}")

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        self.wait(lambda text: needle in text, timeout, repr(needle))

    def wait_stable(self, quiet: float = 1.5, timeout: float = 60.0) -> None:
        """Wait for ``quiet`` seconds without output (animations reset it, so it means idle)."""
        self.wait(lambda _: time.monotonic() - self.last_change >= quiet, timeout, "quiet")

    def type(self, text: str, submit: bool = True) -> None:
        self.proc.write(text.encode())
        if submit:
            # Enter as its own write: both agents treat a fast burst as a paste.
            time.sleep(0.4)
            self.proc.write(b"\r")

    def close(self) -> None:
        if self.proc.isalive():
            self.proc.terminate(force=True)


@dataclass
class Workspace:
    """A temporary HOME and working directory for one agent run, plus the environment to use."""

    home: Path
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


def base_env(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    return {**env, "HOME": str(home)}


# --- Claude Code ---------------------------------------------------------------------------------

CLAUDE_VERSION = "2.1.197"


def claude_workspace(root: Path, base_url: str) -> Workspace:
    home, cwd = root / "home", root / "ws"
    cwd.mkdir(parents=True)
    home.mkdir()
    # Without this seed Claude Code shows onboarding and then fails to reach api.anthropic.com.
    seed = {
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": CLAUDE_VERSION,
        "theme": "dark",
        # Claude keeps the last 20 characters of an API key it was told to trust.
        "customApiKeyResponses": {"approved": ["dummy"], "rejected": []},
        "projects": {
            str(cwd): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}
        },
    }
    (home / ".claude.json").write_text(json.dumps(seed, indent=2) + "\n")
    env = {
        **base_env(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "dummy",
        # The important one: no DNS lookups of api.anthropic.com, no statsig, no update checks.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        # Silences "claude command at ~/.local/bin/claude missing or broken" in the TUI.
        "DISABLE_INSTALLATION_CHECKS": "1",
        # Bash tool scratch files go to /tmp/claude-<uid>/ otherwise, outside the workspace.
        "CLAUDE_CODE_TMPDIR": str(root / "tmp"),
    }
    return Workspace(home, cwd, env)


def claude_argv() -> list[str]:
    return [str(AGENTS_BIN / "claude"), "--permission-mode", "acceptEdits"]


# --- Aider ---------------------------------------------------------------------------------------

# Aider refuses unknown models without metadata; zero costs keep its cost report quiet.
AIDER_METADATA = {"openai/fake": {"max_input_tokens": 128000, "max_output_tokens": 8192}}
AIDER_METADATA["openai/fake"].update(
    input_cost_per_token=0, output_cost_per_token=0, litellm_provider="openai", mode="chat"
)
AIDER_FLAGS = shlex.split(
    "--model openai/fake --edit-format diff --no-auto-commits --no-dirty-commits"
    " --no-check-update --no-show-release-notes --analytics-disable --no-gitignore"
    " --no-show-model-warnings"
)


def aider_workspace(root: Path, base_url: str) -> Workspace:
    home, cwd = root / "home", root / "ws"
    cwd.mkdir(parents=True)
    cache = home / ".aider" / "caches"
    cache.mkdir(parents=True)
    # A fresh (< 24 h) price cache stops aider from fetching it from raw.githubusercontent.com.
    (cache / "model_prices_and_context_window.json").write_text("{}\n")
    (home / "model-metadata.json").write_text(json.dumps(AIDER_METADATA, indent=2) + "\n")
    env = {
        **base_env(home),
        "OPENAI_API_KEY": "dummy",
        "OPENAI_API_BASE": base_url + "/v1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    # Aider wants a git repo with an identity (or it warns); set in the repo, not globally.
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=cwd, env=env, check=True)
    for key, value in (("user.name", "Taskyard Test"), ("user.email", "test@taskyard.invalid")):
        subprocess.run(["git", "config", key, value], cwd=cwd, check=True)
    return Workspace(home, cwd, env)


def aider_argv(ws: Workspace, pretty: bool = True) -> list[str]:
    """Aider's interactive command line; pretty output (the default) adds rules and a spinner."""
    metadata = ["--model-metadata-file", str(ws.home / "model-metadata.json")]
    argv = [str(AGENTS_BIN / "aider"), *AIDER_FLAGS, *metadata]
    return argv if pretty else [*argv, "--no-pretty"]


# --- Cases ---------------------------------------------------------------------------------------


class Glitch(Exception):
    """A recording hit a known rendering race; the case is recorded again."""


@dataclass
class Recording:
    """What one case captured, with the verdicts a human wrote down for it."""

    screen: str
    kind: str
    message: str = ""
    before: str | None = None
    user_input: str | None = None
    reply: str | None = None


def _last_line(text: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    return lines[-1] if lines else ""


@dataclass(frozen=True)
class Profile:
    """How to tell, while recording, that an agent is idle or busy, and how to interrupt it."""

    idle: Callable[[str], bool]
    busy: str  # text shown only while the agent works
    interrupt: bytes


PROFILES = {
    "claude": Profile(
        idle=lambda text: "esc to interrupt" not in text and "\n\u276f" in text,
        busy="esc to interrupt",
        interrupt=b"\x1b",
    ),
    "aider": Profile(
        idle=lambda text: _last_line(text).rstrip().endswith(">"),
        busy="Waiting for openai/fake",
        interrupt=b"\x03",  # Esc means nothing to aider
    ),
}


def settle(agent: PtyAgent, profile: Profile) -> None:
    """Wait until the agent looks idle and its screen has stopped changing."""
    agent.wait(profile.idle, 60, "idle")
    agent.wait_stable(1.0)


def exchange(agent: PtyAgent, profile: Profile, prompt: str, done: str) -> tuple[str, str]:
    """Send ``prompt``; return the screens before it and after the reply (``done`` shown)."""
    settle(agent, profile)
    before = agent.text()
    start = time.monotonic()
    agent.type(prompt)
    agent.wait_for(done)
    print(f"  prompt-to-reply: {time.monotonic() - start:.2f} s")
    settle(agent, profile)
    return before, agent.text()


def ready(agent: PtyAgent, profile: Profile) -> Recording:
    settle(agent, profile)
    print(f"  start-to-ready: {agent.last_change - agent.started:.2f} s")
    return Recording(agent.text(), "ready")


def busy(agent: PtyAgent, profile: Profile) -> Recording:
    settle(agent, profile)
    agent.type("sleep 5")
    agent.wait_for(profile.busy)
    time.sleep(0.8)
    return Recording(agent.text(), "busy")


def permission(prompt: str, needle: str, message: str) -> Case:
    def run(agent: PtyAgent, profile: Profile) -> Recording:
        settle(agent, profile)
        agent.type(prompt)
        agent.wait_for(needle)
        agent.wait_stable(1.0)
        return Recording(agent.text(), "permission", message)

    return run


def reply(prompt: str, done: str, expected: str, warm_up: int = 0) -> Case:
    def run(agent: PtyAgent, profile: Profile) -> Recording:
        # Earlier turns fill the screen, so the recorded turn's screens have scrolled.
        for index in range(warm_up):
            exchange(agent, profile, f"warm up number {index}", f"Echo: warm up number {index}")
        before, after = exchange(agent, profile, prompt, done)
        return Recording(after, "ready", before=before, user_input=prompt, reply=expected)

    return run


def typing(agent: PtyAgent, profile: Profile) -> Recording:
    settle(agent, profile)
    agent.type("not sent yet", submit=False)
    agent.wait_for("not sent yet")
    agent.wait_stable(0.5)
    return Recording(agent.text(), "unknown")


def interrupted(kind: str) -> Case:
    # Claude drops a turn interrupted before any reply text and puts the prompt back into its
    # box (so: not ready); aider abandons the reply and prompts again.
    def run(agent: PtyAgent, profile: Profile) -> Recording:
        settle(agent, profile)
        agent.type("sleep 30")
        agent.wait_for(profile.busy)
        time.sleep(0.8)
        agent.proc.write(profile.interrupt)
        agent.wait(lambda text: profile.busy not in _last_line(text), 10, "interrupt")
        agent.wait_stable(1.5)
        return Recording(agent.text(), kind)

    return run


def aider_reply_create(agent: PtyAgent, profile: Profile) -> Recording:
    settle(agent, profile)
    before = agent.text()
    prompt = "create hello.txt with hi"
    agent.type(prompt)
    agent.wait_for("Create new file?")
    agent.wait_stable(0.5)
    agent.type("y")
    agent.wait_for("Applied edit to hello.txt")
    settle(agent, profile)
    if agent.text().count("Creating hello.txt.") != 1:
        # rich's live markdown view sometimes leaves a stale copy of a line behind when the
        # screen scrolls mid-stream (a real glitch of pretty output, not of pyte): try again.
        raise Glitch("pretty output duplicated a streamed line")
    # Pretty output renders the reply as markdown: the fenced block loses its fences and gains
    # a blank line of padding above.
    block = "<<<<<<< SEARCH\n=======\nhi\n>>>>>>> REPLACE"
    block = f"\n{block}" if agent.pretty else f"```\n{block}\n```"
    expected = (
        f"Creating hello.txt.\n\nhello.txt\n{block}\n\n"
        "hello.txt\nCreate new file? (Y)es/(N)o [Yes]: y\nApplied edit to hello.txt"
    )
    return Recording(agent.text(), "ready", before=before, user_input=prompt, reply=expected)


Case = Callable[[PtyAgent, Profile], Recording]
CREATE_REPLY = (
    "● Write(hello.txt)\n  ⎿  Wrote 1 lines to hello.txt\n      1 hi\n\n● Created hello.txt."
)
CASES: dict[str, dict[str, Case]] = {
    "claude": {
        "ready": ready,
        "busy": busy,
        # acceptEdits approves edits and file commands (touch, rm, echo > f) by itself;
        # running an interpreter still needs the user's approval.
        "permission": permission(
            "run python3 -c 'print(42)'", "Esc to cancel", "Do you want to proceed?"
        ),
        "permission_edit": permission(
            "create hello.txt with hi", "Esc to cancel", "Do you want to create hello.txt?"
        ),
        "reply": reply("create hello.txt with hi", "Created hello.txt.", CREATE_REPLY),
        "reply_history": reply(
            "run touch notes.txt",
            "Ran touch notes.txt.",
            "● Bash(touch notes.txt)\n  ⎿  Done\n\n● Ran touch notes.txt.",
            warm_up=4,
        ),
        "typing": typing,
        "interrupted": interrupted("unknown"),
    },
    "aider": {
        "ready": ready,
        "busy": busy,
        "permission": permission(
            "create hello.txt with hi", "Create new file?", "Create new file 'hello.txt'?"
        ),
        "reply": reply("hello there", "Echo: hello there", "Echo: hello there"),
        "reply_create": aider_reply_create,
        "typing": typing,
        "interrupted": interrupted("ready"),
    },
}
# Cases recorded without --permission-mode acceptEdits (Claude asks before every edit).
CLAUDE_DEFAULT_MODE_CASES = {"permission_edit"}
# Aider also runs with --no-pretty; these cases are recorded both ways ("nopretty_<case>").
AIDER_NOPRETTY_CASES = ("ready", "permission", "reply", "reply_create", "typing")


def start_agent(agent: str, case: str, root: Path, base_url: str) -> PtyAgent:
    if agent == "claude":
        ws = claude_workspace(root, base_url)
        argv = claude_argv()
        if case in CLAUDE_DEFAULT_MODE_CASES:
            argv = argv[:1]
        return PtyAgent(argv, ws.cwd, ws.env)
    ws = aider_workspace(root, base_url)
    pretty = not case.startswith("nopretty_")
    proc = PtyAgent(aider_argv(ws, pretty=pretty), ws.cwd, ws.env)
    proc.pretty = pretty
    return proc


def save(folder: Path, recording: Recording) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screen.txt").write_text(recording.screen + "\n")
    expected = {"kind": recording.kind, "message": recording.message}
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    if recording.before is not None:
        (folder / "before.txt").write_text(recording.before + "\n")
        (folder / "after.txt").write_text(recording.screen + "\n")
        (folder / "input.txt").write_text(f"{recording.user_input}\n")
        (folder / "expected_reply.txt").write_text(f"{recording.reply}\n")


def record(agent: str, case: str, show: bool, attempts: int = 3) -> None:
    run = CASES[agent][case.removeprefix("nopretty_")]
    for attempt in range(1, attempts + 1):
        fake = FakeAnthropic() if agent == "claude" else FakeOpenAI()
        fake.start()
        with tempfile.TemporaryDirectory(prefix=f"rec-{agent}-") as tmp:
            started = time.monotonic()
            proc = start_agent(agent, case, Path(tmp), fake.base_url)
            try:
                recording = run(proc, PROFILES[agent])
            except Glitch as glitch:
                print(f"{agent}/{case}: attempt {attempt}: {glitch}")
                continue
            finally:
                proc.close()
                fake.stop()
        # Temporary paths differ on every run; fixtures name a stable fake one instead.
        recording.screen = recording.screen.replace(tmp, "/tmp/rec")
        if recording.before is not None:
            recording.before = recording.before.replace(tmp, "/tmp/rec")
        save(OUT / agent / case, recording)
        print(f"{agent}/{case}: {recording.kind} ({time.monotonic() - started:.1f} s)")
        if show:
            print(recording.screen)
        return
    raise SystemExit(f"{agent}/{case}: no clean recording in {attempts} attempts")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agent", choices=sorted(CASES), action="append")
    parser.add_argument("--case", action="append", help="record only these cases")
    parser.add_argument("--show", action="store_true", help="print each recorded screen")
    args = parser.parse_args(argv)
    for agent in args.agent or sorted(CASES):
        names = list(CASES[agent])
        if agent == "aider":
            names += [f"nopretty_{name}" for name in AIDER_NOPRETTY_CASES]
        for case in names:
            if not args.case or case in args.case:
                record(agent, case, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
