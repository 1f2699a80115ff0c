"""Where the real agent CLIs live for tests, and the offline environment each one needs.

``tools/install-agents.sh`` installs pinned Claude Code and Aider into ``.cache/agents``. The
tests drive them against the fake LLM servers in :mod:`tests.fakes`; the environments below are
the ones `test-recipes.md` found to open no connection beyond loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENTS_BIN = Path(os.environ.get("TASKYARD_AGENTS_BIN", ROOT / ".cache" / "agents" / "bin"))

AIDER_METADATA = {
    "openai/fake": {
        "max_input_tokens": 128000,
        "max_output_tokens": 8192,
        "input_cost_per_token": 0,
        "output_cost_per_token": 0,
        "litellm_provider": "openai",
        "mode": "chat",
    }
}
AIDER_FLAGS = [
    "--model", "openai/fake", "--edit-format", "diff", "--no-auto-commits", "--no-dirty-commits",
    "--no-check-update", "--no-show-release-notes", "--analytics-disable", "--no-gitignore",
    "--no-show-model-warnings",
]  # fmt: skip


def agent_binary(name: str) -> str:
    """The installed agent; a clear failure (not a skip) when the suite was set up without it."""
    path = AGENTS_BIN / name
    if not path.exists():
        if os.environ.get("TASKYARD_SKIP_REAL_AGENTS") == "1":
            pytest.skip(f"{name} not installed and TASKYARD_SKIP_REAL_AGENTS=1")
        pytest.fail(f"{path} is missing: run tools/install-agents.sh (tools/test does)")
    return str(path)


def base_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ}
    return {"LANG": "C.UTF-8", **keep, "HOME": str(home)}


def claude_env(home: Path, base_url: str, tmp: Path) -> dict[str, str]:
    """Claude Code offline against a fake Anthropic API (the bridge seeds ~/.claude.json)."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        **base_env(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-ant-fake-test-key-0001",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_TMPDIR": str(tmp),
    }


def aider_env(home: Path, base_url: str, workdir: Path) -> dict[str, str]:
    """Aider offline against a fake OpenAI API, in a git repository with an identity."""
    cache = home / ".aider" / "caches"
    cache.mkdir(parents=True, exist_ok=True)
    # A fresh price cache stops Aider from fetching it from the internet at start.
    (cache / "model_prices_and_context_window.json").write_text("{}\n")
    (home / "model-metadata.json").write_text(json.dumps(AIDER_METADATA))
    env = {
        **base_env(home),
        "OPENAI_API_KEY": "sk-fake-openai-test-0001",
        "OPENAI_API_BASE": base_url + "/v1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q"], cwd=workdir, check=True)
    for key, value in (("user.name", "Taskyard Test"), ("user.email", "test@taskyard.invalid")):
        subprocess.run(["git", "config", key, value], cwd=workdir, check=True)
    return env


def aider_argv(home: Path) -> list[str]:
    metadata = ["--model-metadata-file", str(home / "model-metadata.json")]
    return [agent_binary("aider"), *AIDER_FLAGS, *metadata]
