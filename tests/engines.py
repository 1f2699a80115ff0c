"""The Docker engine for tests that need one: a plain client, or a clear skip (a failure in CI)."""

from __future__ import annotations

import os
from typing import Any

import docker.errors  # binds `docker` too
import pytest


def engine_or_skip() -> Any:
    """A docker client whose engine answered a ping; skips without one, fails in CI."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        if os.environ.get("CI"):
            # CI installs and starts an engine (tools/docker-setup.sh): its absence is a failure.
            pytest.fail(f"no Docker engine reachable at {where} in CI: {exc}")
        pytest.skip(
            f"no Docker engine reachable at {where} (tools/docker-setup.sh starts one): {exc}"
        )
    return client
