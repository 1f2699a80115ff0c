"""Every developer task in one place: ``nox -s lint tests bench demo``.

Sessions run in the current environment (``python=False``): ``tools/bootstrap`` made it, so
nothing is installed twice and CI uses exactly what developers use.
"""

from __future__ import annotations

import sys

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "codegen_check", "tests", "vscode"]
SOURCES = ["server", "tests", "bench", "schemas/codegen", "noxfile.py"]

PACKAGE = "server/taskyard"
PY = sys.executable  # the bootstrap venv, whether or not it is on PATH


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) and strict mypy on the package."""
    session.run(PY, "-m", "ruff", "check", *SOURCES)
    session.run(PY, "-m", "ruff", "format", "--check", *SOURCES)
    session.run(PY, "-m", "mypy", PACKAGE)


@nox.session(python=False)
def codegen(session: nox.Session) -> None:
    """Regenerate the Python and TypeScript protocol code from schemas/."""
    session.run(PY, "schemas/codegen/generate.py")


@nox.session(python=False)
def codegen_check(session: nox.Session) -> None:
    """Fail when the generated protocol code is stale."""
    session.run(PY, "schemas/codegen/generate.py", "--check")


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """The whole pytest suite (real agents included when tools/install-agents.sh ran)."""
    session.run(PY, "-m", "pytest", "-p", "no:cacheprovider", *(session.posargs or ["tests"]))


@nox.session(python=False)
def vscode(session: nox.Session) -> None:
    """The VS Code client: typecheck, unit tests, and the code-server end-to-end test."""
    session.run("bash", "tools/vscode-e2e-setup.sh", external=True)
    session.chdir("vscode-client")
    session.run("npm", "test", external=True)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: print measured figures and their targets."""
    session.run(PY, "-m", "bench", *session.posargs)


@nox.session(python=False)
def demo(session: nox.Session) -> None:
    """A task with the demo agent, streamed in the terminal."""
    session.run(PY, "-m", "taskyard.demo", *session.posargs)


@nox.session(python=False)
def bridge_zipapp(session: nox.Session) -> None:
    """Build the self-contained bridge (dist/bridge.pyz) that workspaces run."""
    session.run(PY, "-m", "taskyard.bridge.zipapp", "dist/bridge.pyz")


@nox.session(python=False)
def docker_image(session: nox.Session) -> None:
    """A Docker engine and the default workspace image, built locally (no registry needed)."""
    session.run("bash", "tools/docker-setup.sh", external=True)
