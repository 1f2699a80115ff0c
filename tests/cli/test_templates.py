"""``taskyard template``: the catalog in both modes, with broken files and workspace templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli

BROKEN = 'name = "broken"\n[agent]\ntype = "robot"\ncommand = ["robot"]\n'
LOCAL = 'description = "A project template"\n[agent]\ntype = "demo"\n'


@pytest.fixture(scope="module")
def catalog(cli: Cli) -> Cli:
    user = cli.config / "taskyard" / "templates"
    user.mkdir(parents=True)
    (user / "broken.toml").write_text(BROKEN)
    local = cli.project / ".taskyard" / "templates"
    local.mkdir(parents=True)
    (local / "local.toml").write_text(LOCAL)
    return cli


def test_list_as_a_table_with_broken_files(catalog: Cli) -> None:
    result = catalog("template", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "AGENT", "PARAMETERS", "PRESETS", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1:5] for line in lines[1:6]}
    assert rows["demo"] == ["builtin", "demo", "3", "2"]
    assert rows["local"] == ["workspace", "demo", "0", "0"]
    assert {"aider", "claude", "custom"} <= rows.keys()
    assert "Broken template files (not offered):" in lines
    broken = next(line for line in lines if "broken.toml" in line)
    assert "broken.toml:3:" in broken and "error: agent.type: 'robot' is not one of" in broken


def test_list_as_json(catalog: Cli) -> None:
    data = catalog("template", "ls", "-o", "json").json()
    assert [t["name"] for t in data["templates"]] == ["aider", "claude", "custom", "demo", "local"]
    (diagnostic,) = data["diagnostics"]
    assert Path(diagnostic["path"]).name == "broken.toml"
    assert diagnostic["severity"] == "error" and diagnostic["line"] == 3


def test_show_as_a_table(catalog: Cli) -> None:
    result = catalog("template", "show", "demo")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["Name:", "demo"]
    assert "Agent:        demo" in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("NAME"))
    assert lines[header].split() == [
        "NAME", "TYPE", "FORM", "TYPE", "DEFAULT", "REQUIRED", "OPTIONS", "VALIDATION",
    ]  # fmt: skip
    params = {line.split()[0]: line.split()[1:] for line in lines[header + 1 : header + 4]}
    assert params["style"] == ["string", "dropdown", "concise", "no", "concise,", "detailed", "-"]
    assert params["max_files"] == ["number", "slider", "5", "no", "-", "1..20"]
    assert params["speed"] == ["number", "radio", "1", "no", "1,", "4,", "20", "-"]
    presets = lines[lines.index(next(x for x in lines if x.startswith("PRESET"))) + 1 :]
    assert presets[0].split()[:2] == ["quick", "yes"] and "style=concise, speed=4" in presets[0]
    assert presets[1].split()[:2] == ["walkthrough", "no"]


def test_show_as_json(catalog: Cli) -> None:
    data = catalog("-o", "json", "template", "show", "demo").json()
    assert [p["name"] for p in data["parameters"]] == ["style", "max_files", "speed"]
    assert data["parameters"][1]["validation"]["max"] == 20
    assert [p["name"] for p in data["presets"]] == ["quick", "walkthrough"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("nope", "template 'nope' not found", id="unknown"),
        pytest.param("broken", "broken.toml failed to load: agent.type: 'robot'", id="broken"),
    ],
)
def test_show_unknown(catalog: Cli, name: str, message: str) -> None:
    result = catalog("template", "show", name, "-o", "json")
    assert result.code == 1
    assert message in result.error_line
    assert result.json()["error"]["kind"] == "templateNotFound"
