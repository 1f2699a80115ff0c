"""The template catalog: loading, override order, broken files, the wire form and live reload.

Template files live under ``tests/data/templates/<case>/``; the live-reload tests write real
files into ``tmp_path`` and wait for the watcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from taskyard.protocol import Template, TemplateDiagnostic, structure, unstructure
from taskyard.services.templates import (
    BUILTIN_FOLDER,
    PresetNotFoundError,
    RenderError,
    TemplateFolder,
    TemplateNotFoundError,
    TemplateService,
    default_folders,
)

DATA = Path(__file__).parent.parent / "data" / "templates"
GOOD = TemplateFolder(DATA / "good", "builtin")


def user(folder: str | Path) -> TemplateFolder:
    return TemplateFolder(DATA / folder, "user")


async def loaded(*folders: TemplateFolder) -> TemplateService:
    catalog = TemplateService(folders)
    await catalog.load()
    return catalog


async def test_builtin_templates_load_cleanly() -> None:
    catalog = await loaded(*default_folders(env={"XDG_CONFIG_HOME": "/nonexistent"}))
    assert [t.name for t in catalog.templates] == ["aider", "claude", "custom", "demo"]
    assert catalog.diagnostics == []
    assert {t.source for t in catalog.templates} == {"builtin"}
    assert all(t.path is None for t in catalog.templates)


async def test_builtin_templates_match_the_wire_schema() -> None:
    catalog = await loaded(TemplateFolder(BUILTIN_FOLDER, "builtin"))
    for template in catalog.templates:
        assert structure(unstructure(template), Template) == template


async def test_builtin_secrets_and_parameters() -> None:
    catalog = await loaded(TemplateFolder(BUILTIN_FOLDER, "builtin"))
    claude = catalog.spec("claude")
    assert claude.env_spec() == [("ANTHROPIC_API_KEY", None, "anthropic-api-key")]
    assert catalog.spec("aider").secrets == {"OPENAI_API_KEY": "openai-api-key"}
    rendered = claude.render(catalog.validate("claude").resolved)
    assert rendered.template.agent.extra_args == ["--permission-mode", "acceptEdits"]
    assert catalog.get("demo").presets[0].default
    assert catalog.get("custom").parameters[0].form_type == "textarea"


def test_default_folders_follow_xdg_and_the_workspace(tmp_path: Path) -> None:
    folders = default_folders(tmp_path / "project", {"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert folders == [
        TemplateFolder(BUILTIN_FOLDER, "builtin"),
        TemplateFolder(tmp_path / "cfg" / "taskyard" / "templates", "user"),
        TemplateFolder(tmp_path / "project" / ".taskyard" / "templates", "workspace"),
    ]
    home = default_folders(env={})[1].path
    assert home == Path.home() / ".config" / "taskyard" / "templates"


OVERRIDES = [
    pytest.param("alpha", "builtin", "Alpha (builtin)", id="broken-override-keeps-builtin"),
    pytest.param("beta", "workspace", "Beta (workspace)", id="name-key-overrides-user"),
    pytest.param("gamma", "workspace", "Gamma (workspace)", id="workspace-overrides-user"),
]


@pytest.mark.parametrize(("name", "source", "display_name"), OVERRIDES)
async def test_override_order(name: str, source: str, display_name: str) -> None:
    catalog = await loaded(
        TemplateFolder(DATA / "override" / "builtin", "builtin"),
        TemplateFolder(DATA / "override" / "user", "user"),
        TemplateFolder(DATA / "override" / "workspace", "workspace"),
    )
    assert [t.name for t in catalog.templates] == ["alpha", "beta", "gamma"]
    template = catalog.get(name)
    assert (template.source, template.display_name) == (source, display_name)
    broken = DATA / "override" / "workspace" / "alpha.toml"
    assert [d.path for d in catalog.diagnostics] == [str(broken)]


async def test_missing_folders_are_empty(tmp_path: Path) -> None:
    catalog = await loaded(GOOD, TemplateFolder(tmp_path / "absent", "workspace"))
    assert [t.name for t in catalog.templates] == ["ok"]
    assert catalog.diagnostics == []


async def test_unknown_template_raises() -> None:
    catalog = await loaded(GOOD)
    with pytest.raises(TemplateNotFoundError) as caught:
        catalog.get("nope")
    assert (caught.value.name, caught.value.kind) == ("nope", "templateNotFound")
    with pytest.raises(TemplateNotFoundError):
        catalog.validate("nope")


async def test_unknown_preset_raises() -> None:
    catalog = await loaded(user("values"))
    with pytest.raises(PresetNotFoundError) as caught:
        catalog.validate("rules", "huge", {})
    assert (caught.value.template, caught.value.preset) == ("rules", "huge")
    assert caught.value.kind == "presetNotFound"


def case(folder: str, line: int | None, message: str) -> object:
    """A broken file (tests/data/templates/broken/<folder>/template.toml) and its diagnostic."""
    return pytest.param(folder, line, message, id=folder)


BROKEN = [
    case("syntax-error", 1, "TOML syntax error: Illegal character"),
    case("unknown-top-key", 1, "colour: unknown key (expected one of: name,"),
    case("unknown-nested-key", 7, "parameters[0].validaton: unknown key"),
    case("wrong-type", 1, "display_name: expected a string, got an integer"),
    case(
        "wrong-type-nested", 6, "workspace.resources.memory_mb: expected an integer, got a string"
    ),
    case("missing-agent", None, "agent.type: is required"),
    case("unknown-agent-type", 2, "agent.type: 'gpt' is not one of: demo, claude,"),
    case("bad-provider", 5, "workspace.provider: 'kubernetes' is not one of: auto, local, docker"),
    case("bad-template-name", 1, "name: 'My Template' is not a template name"),
    case("custom-without-command", 1, "agent.command: is required for the custom agent"),
    case("image-and-dockerfile", 6, "workspace.dockerfile: give either image or dockerfile"),
    case("bad-port", 5, "workspace.preview_port: must be at most 65535"),
    case("env-not-string", 5, 'workspace.env.PORT: expected a string or { secret = "name" }'),
    case("bad-secret-name", 5, "workspace.env.TOKEN.secret: invalid secret name"),
    case("bad-parameter-name", 5, "parameters[0].name: 'has space' is not a parameter name"),
    case("missing-parameter-name", 4, "parameters[0].name: is required"),
    case(
        "form-type-mismatch",
        7,
        "parameters[0].form_type: form type 'slider' does not fit type 'bool' (it takes number)",
    ),
    case(
        "options-not-allowed",
        7,
        "parameters[0].options: a 'textarea' parameter cannot have options",
    ),
    case("options-missing", 4, "parameters[0].options: a 'dropdown' parameter needs options"),
    case("option-wrong-type", 7, "parameters[0].options[1].value: 'lots' is not a number"),
    case("duplicate-option", 6, "parameters[0].options[1].value: duplicate option value 'a'"),
    case("default-not-in-options", 6, "parameters[0].default: 'opus' is not one of: sonnet"),
    case("default-over-max", 7, "parameters[0].default: must be at most 8"),
    case("default-fails-regex", 6, "parameters[0].default: 'no spaces allowed' is not a branch"),
    case(
        "slider-without-bounds",
        4,
        "parameters[0].validation: a slider needs validation.min and validation.max",
    ),
    case("min-above-max", 10, "parameters[0].validation.max: is below min (8)"),
    case("bad-regex", 6, "parameters[0].validation.regex: invalid regular expression"),
    case(
        "monotonic-on-string",
        6,
        "parameters[0].validation.monotonic: applies to number parameters only",
    ),
    case("bounds-on-bool", 7, "parameters[0].validation: min and max apply to number and string"),
    case("duplicate-parameter", 8, "parameters[1].name: duplicate parameter name 'model'"),
    case(
        "two-default-presets",
        14,
        "presets[1].default: only one preset can be the default ('one' already is)",
    ),
    case("duplicate-preset", 8, "presets[1].name: duplicate preset name 'one'"),
    case("preset-unknown-parameter", 10, "presets[0].parameters.modle: unknown parameter"),
    case("preset-invalid-value", 12, "presets[0].parameters.cpus: must be at most 8"),
    case("unknown-reference", 3, "agent.extra_args[1]: refers to unknown parameter 'model'"),
    case(
        "unknown-reference-script", 5, "workspace.setup_script: refers to unknown parameter 'task'"
    ),
    case("not-utf8", None, "cannot read the file: 'utf-8' codec can't decode"),
]


@pytest.mark.parametrize(("folder", "line", "message"), BROKEN)
async def test_broken_file_yields_a_diagnostic(folder: str, line: int | None, message: str) -> None:
    catalog = await loaded(GOOD, user(Path("broken") / folder))
    assert [t.name for t in catalog.templates] == ["ok"], "a broken file is left out, others load"
    path = str(DATA / "broken" / folder / "template.toml")
    matching = [d for d in catalog.diagnostics if d.message.startswith(message)]
    assert matching, f"no diagnostic starts with {message!r}: {catalog.diagnostics}"
    assert (matching[0].path, matching[0].line, matching[0].severity) == (path, line, "error")
    assert all(d.path == path for d in catalog.diagnostics)


async def test_syntax_error_has_a_column() -> None:
    catalog = await loaded(user(Path("broken") / "syntax-error"))
    assert (catalog.diagnostics[0].line, catalog.diagnostics[0].column) == (1, 25)


async def test_duplicate_name_in_one_folder_keeps_the_first() -> None:
    catalog = await loaded(user("duplicate-name"))
    assert catalog.get("same").agent.type == "demo"
    [diagnostic] = catalog.diagnostics
    assert diagnostic.path == str(DATA / "duplicate-name" / "b.toml")
    assert diagnostic.message.startswith("name: template 'same' is already defined in ")


async def test_missing_dockerfile_is_a_warning_and_the_template_loads() -> None:
    catalog = await loaded(user("missing-dockerfile"))
    assert [t.name for t in catalog.templates] == ["template"]
    [warning] = catalog.diagnostics
    assert (warning.severity, warning.line) == ("warning", 6)
    assert warning.message.startswith("workspace.dockerfile: ")
    assert warning.message.endswith("Dockerfile.missing does not exist")


async def test_dockerfile_resolves_against_the_template_folder() -> None:
    catalog = await loaded(user("dockerfile"))
    assert catalog.spec("template").dockerfile == DATA / "dockerfile" / "images" / "Dockerfile"
    assert catalog.get("template").workspace.dockerfile == "images/Dockerfile"


async def test_every_key_maps_onto_the_wire_types() -> None:
    catalog = await loaded(TemplateFolder(DATA / "full", "workspace"))
    wire = unstructure(catalog.get("everything"))
    assert wire["path"] == str(DATA / "full" / "everything.toml")
    assert wire["agent"] == {
        "type": "claude",
        "version": "2.1.0",
        "extraArgs": ["--verbose"],
        "mcpServers": [
            {
                "name": "github",
                "command": "github-mcp-server",
                "args": ["stdio", "--toolsets={{ parameters.toolsets }}"],
                "env": {"GITHUB_HOST": "github.com"},
            }
        ],
    }
    workspace = wire["workspace"]
    assert workspace["env"] == [
        {"name": "NODE_ENV", "value": "development"},
        {"name": "MODEL", "value": "{{ parameters.model }}"},
        {"name": "ANTHROPIC_API_KEY", "secret": True},
    ]
    assert workspace["resources"] == {"cpus": 2.5, "memoryMb": 4096, "pids": 512}
    assert (workspace["repo"], workspace["previewPort"], workspace["idleTimeoutMinutes"]) == (
        "clone",
        3000,
        30,
    )
    model, toolsets = wire["parameters"]
    assert model["formType"] == "dropdown" and model["required"] is False
    assert model["styling"] == {"disabled": False, "placeholder": "sonnet", "maskInput": False}
    assert (toolsets["formType"], toolsets["default"]) == ("multi-select", '["repos"]')
    assert wire["presets"] == [
        {
            "name": "deep",
            "description": "For hard problems",
            "default": False,
            "parameters": {"model": "opus", "toolsets": '["repos", "issues"]'},
        }
    ]


async def test_render_fills_every_launch_text() -> None:
    catalog = await loaded(TemplateFolder(DATA / "full", "workspace"))
    spec = catalog.spec("everything")
    values = catalog.validate("everything", "deep").resolved
    rendered = spec.render(values)
    assert rendered.command == ["claude", "--model", "opus"]
    assert rendered.template.agent.mcp_servers[0].args[1] == '--toolsets=["repos", "issues"]'
    assert rendered.template.workspace.setup_script == "npm ci && echo opus"
    assert rendered.template.workspace.env[1].value == "opus"
    assert rendered.env_spec()[2] == ("ANTHROPIC_API_KEY", None, "anthropic-api-key")
    with pytest.raises(RenderError):
        spec.render({})


# Live reload: real files, the real watcher.

WAIT = 5.0
AGENT = '[agent]\ntype = "demo"\n'


class Changes:
    """Collects on_change calls and waits for one that satisfies a condition."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Template], list[TemplateDiagnostic]]] = []
        self._event = asyncio.Event()

    async def __call__(self, templates: list[Template], diags: list[TemplateDiagnostic]) -> None:
        self.calls.append((templates, diags))
        self._event.set()

    async def until(
        self, condition: Callable[[list[Template], list[TemplateDiagnostic]], bool]
    ) -> None:
        async with asyncio.timeout(WAIT):
            while not (self.calls and condition(*self.calls[-1])):
                self._event.clear()
                await self._event.wait()


def names(templates: list[Template], _: list[TemplateDiagnostic]) -> list[str]:
    return [t.name for t in templates]


async def test_live_reload_add_break_fix_remove(tmp_path: Path) -> None:
    changes = Changes()
    catalog = TemplateService([TemplateFolder(tmp_path, "workspace")], changes)
    await catalog.load()
    await catalog.watch()
    try:
        file = tmp_path / "live.toml"
        file.write_text(f'display_name = "Live"\n{AGENT}')
        await changes.until(lambda t, d: names(t, d) == ["live"])
        (tmp_path / "notes.txt").write_text("ignored: not a template")
        file.write_text(f'display_name = "Live\n{AGENT}')
        await changes.until(lambda t, d: t == [] and len(d) == 1)
        assert changes.calls[-1][1][0].message.startswith("TOML syntax error")
        file.write_text(f'display_name = "Live again"\n{AGENT}')
        await changes.until(lambda t, d: [x.display_name for x in t] == ["Live again"] and not d)
        file.unlink()
        await changes.until(lambda t, d: t == [] and not d)
    finally:
        await catalog.close()
    assert catalog.templates == []


async def test_live_reload_of_a_folder_created_later(tmp_path: Path) -> None:
    changes = Changes()
    folder = tmp_path / "project" / ".taskyard" / "templates"
    catalog = TemplateService([GOOD, TemplateFolder(folder, "workspace")], changes)
    await catalog.load()
    await catalog.watch()
    try:
        (tmp_path / "project").mkdir()
        folder.mkdir(parents=True)
        (folder / "later.toml").write_text(AGENT)
        await changes.until(lambda t, d: names(t, d) == ["later", "ok"])
        assert catalog.get("later").source == "workspace"
    finally:
        await catalog.close()


async def test_set_folders_reloads_and_notifies(tmp_path: Path) -> None:
    changes = Changes()
    catalog = TemplateService([GOOD], changes)
    await catalog.load()
    await catalog.set_folders([GOOD, user("dockerfile")])
    assert names(*changes.calls[-1]) == ["ok", "template"]
    assert catalog.folders[1].path == DATA / "dockerfile"


async def test_close_without_watch_and_twice_is_harmless() -> None:
    catalog = TemplateService([GOOD])
    await catalog.close()
    await catalog.watch()
    await catalog.close()
    await catalog.close()
