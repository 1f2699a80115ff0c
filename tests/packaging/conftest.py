"""Taskyard's distributions, built from the checkout, and the wheel installed into a fresh venv.

Nothing lets the installed Taskyard import the checkout instead of itself:

- the wheel is built with ``pip wheel --no-deps`` from a copy of the checkout's files (tracked,
  plus new files git does not ignore), so a stale ``build/`` or ``*.egg-info`` in the checkout
  cannot leak into it and the build writes nothing into the checkout;
- it is installed into a new venv in pytest's temporary folder, outside the repository, its
  dependencies taken with ``pip install --no-index`` from a wheelhouse repacked from this
  interpreter's installed distributions (the versions the rest of the suite tests with);
- the installed ``taskyard`` runs from a folder outside the repository with ``PYTHONPATH``
  cleared and its own ``HOME``, ``TASKYARD_DATA_DIR``, ``XDG_CONFIG_HOME`` and ``XDG_DATA_HOME``.

Building needs the build backend the project names (setuptools) from pip's index or pip's
cache, as any ``pip wheel .`` does; installing needs no registry.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from packaging.requirements import Requirement

from tests.commands import Result
from tests.processes import bridges_under, stop_bridges_under

ROOT = Path(__file__).resolve().parents[2]
# What would change what the installed CLI does or imports.
SCRUBBED_PREFIXES = ("PYTHON", "TASKYARD_", "VIRTUAL_ENV", "CONDA_", "PIP_REQUIRE")
SCRUBBED = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything pointing Python at the checkout or its venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(SCRUBBED_PREFIXES) and k not in SCRUBBED
    }
    dev_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin
    )
    env.update(extra)
    return env


def run(
    *argv: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a build or install step; fail with its output when it fails."""
    proc = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, argv))} exited with {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def outside_checkout(path: Path) -> Path:
    assert not path.resolve().is_relative_to(ROOT), f"{path} is inside the checkout {ROOT}"
    return path


# -- building ----------------------------------------------------------------------------------


def checkout_files() -> list[str]:
    """The checkout's files as a fresh clone plus the working tree's changes would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


@pytest.fixture(scope="session")
def packaging_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return outside_checkout(tmp_path_factory.mktemp("packaging"))


@pytest.fixture(scope="session")
def source(packaging_dir: Path) -> Path:
    """A copy of the checkout to build from."""
    target = packaging_dir / "source"
    for name in checkout_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def the_one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}: {found}"
    return found[0]


@pytest.fixture(scope="session")
def wheel(packaging_dir: Path, source: Path) -> Path:
    """The wheel, built as the README says: ``pip wheel --no-deps -w dist .``."""
    out = packaging_dir / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, ".", cwd=source)
    return the_one(out, "taskyard-*.whl")


@pytest.fixture(scope="session")
def sdist(packaging_dir: Path, source: Path) -> Path:
    """The sdist, built by the project's own build backend in a venv of its own."""
    venv = packaging_dir / "build-venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=packaging_dir)
    python = venv / "bin" / "python"
    system = tomllib.loads((source / "pyproject.toml").read_text())["build-system"]
    run(sys.executable, "-m", "pip", "--python", python, "install", *system["requires"],
        cwd=packaging_dir)  # fmt: skip
    out = packaging_dir / "sdist"
    backend = system["build-backend"]
    build = f"import sys, {backend} as b; print(b.build_sdist(sys.argv[1]))"
    run(python, "-c", build, out, cwd=source)
    return the_one(out, "taskyard-*.tar.gz")


@pytest.fixture(scope="session")
def wheel_from_sdist(packaging_dir: Path, sdist: Path) -> Path:
    """The wheel built from the unpacked sdist (as pip builds one, but never from its cache:
    pip caches wheels built from an archive by its URL, which a later session may reuse)."""
    unpacked = packaging_dir / "unpacked"
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (top,) = unpacked.iterdir()
    out = packaging_dir / "dist-from-sdist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, ".", cwd=top)
    return the_one(out, "taskyard-*.whl")


# -- the wheelhouse ----------------------------------------------------------------------------


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_of(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    return [Requirement(line.split(":", 1)[1]) for line in text.splitlines()
            if line.startswith("Requires-Dist:")]  # fmt: skip


def dependency_closure(wheel: Path) -> list[importlib.metadata.Distribution]:
    """The installed distributions the wheel needs here, transitively (no extras)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = requirements_of(wheel)
    while pending:
        requirement = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        key = normalize(requirement.name)
        if key in found:
            continue
        try:
            dist = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{requirement} is not installed in {sys.prefix}: run tools/bootstrap")
        assert requirement.specifier.contains(dist.version, prereleases=True), (
            f"{requirement} but {dist.version} is installed in {sys.prefix}: run tools/bootstrap"
        )
        found[key] = dist
        pending.extend(Requirement(r) for r in dist.requires or [])
    return [found[k] for k in sorted(found)]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _tags(wheel_file: str) -> str:
    """The wheel file name's tag part from the ``Tag:`` lines of a WHEEL file."""
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_file.splitlines()
            if line.startswith("Tag:")]  # fmt: skip
    assert tags, f"no Tag in WHEEL:\n{wheel_file}"
    return "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))


def repack(dist: importlib.metadata.Distribution, out: Path) -> Path:
    """An installed distribution back as a wheel: its files under site-packages, a new RECORD."""
    files = dist.files
    assert files is not None, f"{dist.metadata['Name']} has no RECORD: cannot repack it"
    info = next(p.parts[0] for p in files if p.parts[0].endswith(".dist-info"))
    skipped = {f"{info}/{n}" for n in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    path = out / f"{name}-{dist.version}-{_tags(dist.read_text('WHEEL') or '')}.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in files:
            arcname = file.as_posix()
            if (
                file.parts[0] == ".."  # console scripts: the installer writes its own
                or "__pycache__" in file.parts
                or arcname in skipped
            ):
                continue
            where = Path(str(dist.locate_file(file)))
            if not where.is_file():
                continue
            data = where.read_bytes()
            archive.writestr(arcname, data)
            record.append(f"{arcname},{_record_hash(data)},{len(data)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture(scope="session")
def wheelhouse(packaging_dir: Path, wheel: Path) -> Path:
    """The wheel's dependencies as wheels, from this interpreter's installed distributions."""
    out = packaging_dir / "wheelhouse"
    out.mkdir()
    for dist in dependency_closure(wheel):
        repack(dist, out)
    return out


# -- the installed Taskyard ----------------------------------------------------------------------


@attrs.define
class Installed:
    """A fresh venv with the wheel installed, and a place outside the checkout to run it from."""

    venv: Path
    home: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def user(self, name: str) -> User:
        """A user of this installation with a home of their own (data, config, project)."""
        return User(self, outside_checkout(self.home / name))


@attrs.define
class User:
    """Runs the venv's own ``taskyard`` command against one home folder."""

    installed: Installed
    home: Path

    def __attrs_post_init__(self) -> None:
        self.project.mkdir(parents=True, exist_ok=True)

    @property
    def project(self) -> Path:
        """The folder the commands run in (an empty project, not a repository)."""
        return self.home / "project"

    @property
    def data(self) -> Path:
        return self.home / "data"

    def env(self, **extra: str) -> dict[str, str]:
        """Only the venv on PATH; HOME, data, config and XDG data folders in this user's home."""
        path = clean_env()["PATH"]
        return clean_env(
            PATH=os.pathsep.join([str(self.installed.venv / "bin"), path]),
            HOME=str(self.home),
            TASKYARD_DATA_DIR=str(self.data),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_DATA_HOME=str(self.home / "share"),
            TASKYARD_DEMO_SPEED="5",
            **extra,
        )

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [str(self.installed.venv / "bin" / "taskyard"), *args],
            cwd=self.project,
            env=self.env(**(env or {})),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def python(self, code: str) -> str:
        """The output of ``code`` run by the venv's interpreter, as this user's commands run."""
        proc = subprocess.run(
            [str(self.installed.python), "-c", code],
            cwd=self.project,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return proc.stdout

    def cleanup(self) -> None:
        """Delete every task left (a failed test's), then stop any bridge still running."""
        if self.data.exists():
            listed = self("task", "list", "-a", "-q")
            ids = listed.out.split()
            if ids:
                self("task", "delete", "-y", *ids)
        stop_bridges_under(self.home)


@pytest.fixture(scope="session")
def installed(packaging_dir: Path, wheel: Path, wheelhouse: Path) -> Iterator[Installed]:
    """``python -m venv`` and ``pip install <wheel>`` with its dependencies from the wheelhouse."""
    venv = packaging_dir / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=packaging_dir)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "install", "--no-index", "--find-links", wheelhouse, wheel, cwd=packaging_dir)
    home = packaging_dir / "home"
    home.mkdir()
    yield Installed(venv, home)
    stop_bridges_under(home)


@pytest.fixture
def user(installed: Installed, request: pytest.FixtureRequest) -> Iterator[User]:
    """One user per test, their tasks deleted and bridges stopped afterwards."""
    person = installed.user(re.sub(r"\W+", "-", request.node.name)[:40])
    try:
        yield person
    finally:
        person.cleanup()
        assert not bridges_under(person.home), "bridges still running after the cleanup"
