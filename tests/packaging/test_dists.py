"""The wheel and the sdist carry every file the installed package reads.

Every file of the package folder in the checkout (tracked or new, not ignored) must be in the
wheel, except the few that only the development tools read; the sdist must carry them too, so
that a wheel built from the sdist holds exactly what the wheel built from the checkout holds.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEV_ONLY = {"bridge/ruff.toml"}
"""Files of the package folder that only development tools read (not installed)."""

BUILTIN_TEMPLATES = {"demo.toml", "claude.toml", "aider.toml", "custom.toml"}


def package_files(source: Path) -> set[str]:
    """The package folder's files in the checkout, relative to it."""
    folder = source / "server" / "taskyard"
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    } - DEV_ONLY


def wheel_files(wheel: Path) -> set[str]:
    """The wheel's files of the ``taskyard`` package, relative to it."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    return {n.removeprefix("taskyard/") for n in names if n.startswith("taskyard/")}


def metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode()


def test_the_wheel_carries_every_file_of_the_package(source: Path, wheel: Path) -> None:
    files = wheel_files(wheel)
    assert {f"templates/{name}" for name in BUILTIN_TEMPLATES} <= files
    assert "py.typed" in files
    assert not DEV_ONLY & files
    missing = package_files(source) - files
    assert not missing, f"in the package folder but not in the wheel: {sorted(missing)}"
    extra = files - package_files(source)
    assert not extra, f"in the wheel but not in the package folder: {sorted(extra)}"


def test_a_wheel_built_from_the_sdist_is_the_same(
    source: Path, sdist: Path, wheel: Path, wheel_from_sdist: Path
) -> None:
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {n.removeprefix(f"{top}/") for n in archive.getnames()}
    assert {"README.md", "pyproject.toml", "server/taskyard/py.typed"} <= names
    templates = {f"server/taskyard/templates/{name}" for name in BUILTIN_TEMPLATES}
    assert templates <= names
    assert wheel_files(wheel_from_sdist) == wheel_files(wheel)
    assert metadata(wheel_from_sdist) == metadata(wheel)
