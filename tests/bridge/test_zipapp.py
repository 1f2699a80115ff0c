"""The single-file bridge runs on a bare python3 that has none of our dependencies installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from taskyard.bridge import zipapp

from .harness import BridgeProcess
from .test_bridge_demo import wait_reply

BARE_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(zipapp.build(str(tmp_path_factory.mktemp("pyz") / "bridge.pyz")))


def test_build_is_deterministic_and_self_contained(pyz: Path, tmp_path: Path) -> None:
    again = Path(zipapp.build(str(tmp_path / "again.pyz")))
    assert again.read_bytes() == pyz.read_bytes()
    names = set(zipfile.ZipFile(pyz).namelist())
    for needed in (
        "__main__.py",
        "taskyard/bridge/cli.py",
        "pyte/screens.py",
        "ptyprocess/ptyprocess.py",
        "h11/_connection.py",
        "wcwidth/wcwidth.py",
    ):
        assert needed in names
    assert not any("__pycache__" in n for n in names)
    cached = zipapp.ensure_zipapp(str(tmp_path / "cache"))
    assert Path(cached).read_bytes() == pyz.read_bytes()
    assert zipapp.ensure_zipapp(str(tmp_path / "cache")) == cached


@pytest.mark.skipif(BARE_PYTHON is None, reason="no system python3 to run the zipapp with")
def test_bare_python_runs_the_bridge_and_the_demo_agent(pyz: Path, tmp_path: Path) -> None:
    assert BARE_PYTHON is not None
    probe = subprocess.run([BARE_PYTHON, "-I", "-c", "import pyte"], capture_output=True)
    assert probe.returncode != 0  # the interpreter really lacks our dependencies
    proc = BridgeProcess(
        tmp_path,
        "demo",
        initial_prompt="create z.txt with from the zipapp",
        command=[BARE_PYTHON, "-I", str(pyz)],
    )
    proc.env.pop("PYTHONPATH")
    proc.start()
    try:
        wait_reply(proc, "Created z.txt")
        assert (proc.workdir / "z.txt").read_text() == "from the zipapp\n"
        assert proc.wait_state("idle")["agent_type"] == "demo"
    finally:
        proc.stop()


def test_too_old_python_is_refused_plainly(pyz: Path) -> None:
    code = (
        "import runpy, sys; sys.version_info = (3, 8, 10, 'final', 0); "
        f"runpy.run_path({str(pyz)!r}, run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 3
    assert "taskyard-bridge needs Python 3.9 or newer; this is Python 3.8" in result.stderr
