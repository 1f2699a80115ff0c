"""Template files: one TOML file → one :class:`TemplateSpec`, or diagnostics saying why not.

The file format is documented in :mod:`taskyard.services.templates`. Reading is strict: unknown
keys, wrong types, bad values and broken parameter definitions each become a diagnostic that
names the file, the key path (``parameters[1].validation.min``) and, as far as it can be found
in the text, the line. Nothing here raises on bad input, and nothing here is async: the catalog
calls :func:`load_file` from a worker thread.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Final, cast, get_args

import attrs

from taskyard.protocol import (
    EnvVar,
    McpServer,
    ParameterFormType,
    ParameterOption,
    ParameterStyling,
    ParameterType,
    ParameterValidation,
    Preset,
    RepoMode,
    Template,
    TemplateAgent,
    TemplateDiagnostic,
    TemplateParameter,
    TemplateProvider,
    TemplateSource,
    TemplateWorkspace,
    WorkspaceResources,
)
from taskyard.services.secrets import EnvSpec, canonical_name

from .params import KeyPath, check_definition, check_value, default_form_type
from .params import references as parameter_references
from .params import render as render_text
from .toml_reader import Problem, Reader, describe, diagnostic, syntax_diagnostic

__all__ = ["AGENT_TYPES", "TemplateSpec", "load_file"]

AGENT_TYPES: Final = ("demo", "claude", "aider", "custom", "codex", "gemini", "goose", "opencode")
"""Agent types a template may name."""

_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# Parameter names must survive inside {{ parameters.NAME }}.
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Keys each table may hold; anything else is reported as an unknown key.
_TEMPLATE_KEYS: tuple[str, ...] = ("name", "display_name", "description", "icon", "agent")
_TEMPLATE_KEYS += ("workspace", "parameters", "presets")
_WORKSPACE_KEYS: tuple[str, ...] = ("provider", "image", "dockerfile", "workdir", "repo", "env")
_WORKSPACE_KEYS += ("setup_script", "resources", "idle_timeout_minutes", "preview_port")
_PARAMETER_KEYS: tuple[str, ...] = ("name", "display_name", "description", "type", "form_type")
_PARAMETER_KEYS += ("default", "options", "validation", "mutable", "ephemeral", "order", "icon")
_PARAMETER_KEYS += ("styling",)


@attrs.frozen(kw_only=True)
class TemplateSpec:
    """A loaded template: its wire form plus the launch facts the wire does not carry."""

    template: Template
    """What the editor sees (``taskyard/templates/get``)."""

    file: Path
    """The TOML file it came from (also for built-in templates)."""

    command: list[str] | None
    """The agent's command line; None means the bridge adapter's default."""

    secrets: dict[str, str]
    """Secret environment variables: variable name → secret-store name."""

    @property
    def dockerfile(self) -> Path | None:
        """The Dockerfile to build, resolved against the template's folder."""
        relative = self.template.workspace.dockerfile
        return None if relative is None else self.file.parent / relative

    def env_spec(self) -> list[EnvSpec]:
        """The workspace environment in the form ``SecretStore.resolve_env`` takes."""
        return [(e.name, e.value, self.secrets.get(e.name)) for e in self.template.workspace.env]

    def render(self, values: Mapping[str, str]) -> TemplateSpec:
        """This spec with ``{{ parameters.NAME }}`` replaced in the command, arguments, MCP
        servers, setup script and environment (:class:`RenderError` for an unknown name)."""

        def sub(text: str) -> str:
            return render_text(text, values)

        agent, workspace = self.template.agent, self.template.workspace
        servers = [
            attrs.evolve(
                s, command=sub(s.command), args=[*map(sub, s.args)], env=_sub_map(s.env, sub)
            )
            for s in agent.mcp_servers
        ]
        agent = attrs.evolve(agent, extra_args=[*map(sub, agent.extra_args)], mcp_servers=servers)
        env = [e if e.value is None else attrs.evolve(e, value=sub(e.value)) for e in workspace.env]
        script = None if workspace.setup_script is None else sub(workspace.setup_script)
        workspace = attrs.evolve(workspace, env=env, setup_script=script)
        template = attrs.evolve(self.template, agent=agent, workspace=workspace)
        command = None if self.command is None else [*map(sub, self.command)]
        return attrs.evolve(self, template=template, command=command)


def load_file(
    file: Path, source: TemplateSource
) -> tuple[TemplateSpec | None, list[TemplateDiagnostic]]:
    """Read one template file; the spec is None when any diagnostic is an error (blocking)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [diagnostic(file, [], ((), f"cannot read the file: {exc}", "error"))]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [syntax_diagnostic(file, text, exc)]
    problems: list[Problem] = []
    spec = _template(Reader(data, (), problems), file, source)
    lines = text.splitlines()
    diagnostics = [diagnostic(file, lines, problem) for problem in problems]
    return (None if any(p[2] == "error" for p in problems) else spec), diagnostics


def _template(root: Reader, file: Path, source: TemplateSource) -> TemplateSpec:
    root.allow(*_TEMPLATE_KEYS)
    name = root.text("name") or file.stem
    if not _TEMPLATE_NAME.fullmatch(name):
        root.fail(("name",), f"'{name}' is not a template name (use a-z, 0-9 and '-')")
    agent, command = _agent(root.table("agent"))
    workspace, secrets = _workspace(root.table("workspace"), file)
    parameters = _parameters(root.tables("parameters"))
    presets = _presets(root.tables("presets"), parameters)
    _check_references(root, command, agent, workspace, {p.name for p in parameters})
    template = Template(
        name=name,
        display_name=root.text("display_name") or name,
        description=root.text("description") or "",
        icon=root.text("icon"),
        source=source,
        path=None if source == "builtin" else str(file),
        agent=agent,
        workspace=workspace,
        parameters=sorted(parameters, key=lambda p: (p.order, p.name)),
        presets=presets,
    )
    return TemplateSpec(template=template, file=file, command=command, secrets=secrets)


def _agent(r: Reader) -> tuple[TemplateAgent, list[str] | None]:
    r.allow("type", "version", "command", "extra_args", "mcp_servers")
    type_ = r.choice("type", AGENT_TYPES, required=True) or "custom"
    command = r.strings("command")
    if command == []:
        r.fail(("command",), "must not be empty")
    if type_ == "custom" and "command" not in r.data:
        r.fail(("command",), "is required for the custom agent")
    servers = [_mcp_server(s) for s in r.tables("mcp_servers")]
    agent = TemplateAgent(
        type=type_,
        version=r.text("version"),
        extra_args=r.strings("extra_args") or [],
        mcp_servers=servers,
    )
    return agent, command


def _mcp_server(r: Reader) -> McpServer:
    r.allow("name", "command", "args", "env")
    name, command = r.text("name", required=True) or "", r.text("command", required=True) or ""
    env = cast(dict[str, str] | None, r.get("env", "a table of strings"))
    return McpServer(name=name, command=command, args=r.strings("args") or [], env=env or {})


def _workspace(r: Reader, file: Path) -> tuple[TemplateWorkspace, dict[str, str]]:
    r.allow(*_WORKSPACE_KEYS)
    if "image" in r.data and "dockerfile" in r.data:
        r.fail(("dockerfile",), "give either image or dockerfile, not both")
    dockerfile = r.text("dockerfile")
    if dockerfile is not None and not (file.parent / dockerfile).is_file():
        r.fail(("dockerfile",), f"{file.parent / dockerfile} does not exist", "warning")
    port = r.number("preview_port", "an integer", low=1)
    if port is not None and port > 65535:
        r.fail(("preview_port",), "must be at most 65535")
    env, secrets = _env(r.table("env"))
    workspace = TemplateWorkspace(
        provider=cast(TemplateProvider, r.choice("provider", get_args(TemplateProvider)) or "auto"),
        image=r.text("image"),
        dockerfile=dockerfile,
        workdir=r.text("workdir"),
        setup_script=r.text("setup_script"),
        repo=cast(RepoMode, r.choice("repo", get_args(RepoMode)) or "worktree"),
        env=env,
        resources=_resources(r.table("resources")),
        idle_timeout_minutes=r.number("idle_timeout_minutes", "an integer", low=1),
        preview_port=None if port is None or port > 65535 else port,
    )
    return workspace, secrets


def _env(r: Reader) -> tuple[list[EnvVar], dict[str, str]]:
    env: list[EnvVar] = []
    secrets: dict[str, str] = {}
    for name, raw in r.data.items():
        if not _ENV_NAME.fullmatch(name):
            r.fail((name,), "is not a valid environment variable name")
        if isinstance(raw, str):
            env.append(EnvVar(name=name, value=raw))
        elif isinstance(raw, dict) and (secret := _secret_name(r.table(name))):
            env.append(EnvVar(name=name, secret=True))
            secrets[name] = secret
        elif not isinstance(raw, dict):
            r.fail((name,), f'expected a string or {{ secret = "name" }}, got {describe(raw)}')
    return env, secrets


def _secret_name(r: Reader) -> str | None:
    r.allow("secret")
    name = r.text("secret", required=True)
    try:
        return None if name is None else canonical_name(name)
    except ValueError as exc:
        r.fail(("secret",), str(exc))
        return None


def _resources(r: Reader) -> WorkspaceResources:
    r.allow("cpus", "memory_mb", "pids")
    cpus = r.number("cpus")
    if cpus is not None and cpus <= 0:
        r.fail(("cpus",), "must be more than 0")
        cpus = None
    return WorkspaceResources(
        cpus=None if cpus is None else float(cpus),
        memory_mb=r.number("memory_mb", "an integer", low=1),
        pids=r.number("pids", "an integer", low=1),
    )


def _parameters(readers: list[Reader]) -> list[TemplateParameter]:
    parameters: list[TemplateParameter] = []
    for index, r in enumerate(readers):
        param = _parameter(r, index)
        if any(p.name == param.name for p in parameters):
            r.fail(("name",), f"duplicate parameter name '{param.name}'")
        parameters.append(param)
    return parameters


def _parameter(r: Reader, index: int) -> TemplateParameter:
    r.allow(*_PARAMETER_KEYS)
    before = len(r.problems)
    name = r.text("name", required=True) or ""
    if name and not _PARAMETER_NAME.fullmatch(name):
        r.fail(("name",), f"'{name}' is not a parameter name (use letters, digits, '_' and '-')")
    type_ = cast(ParameterType, r.choice("type", get_args(ParameterType)) or "string")
    options = [_option(o) for o in r.tables("options")]
    form = r.choice("form_type", get_args(ParameterFormType))
    default = r.value("default")
    order = r.number("order", "an integer")
    param = TemplateParameter(
        name=name,
        display_name=r.text("display_name") or name,
        description=r.text("description") or "",
        type=type_,
        form_type=cast(ParameterFormType, form) or default_form_type(type_, bool(options)),
        default=default,
        required=default is None,
        options=options,
        validation=_validation(r.table("validation")) if "validation" in r.data else None,
        mutable=r.flag("mutable"),
        ephemeral=r.flag("ephemeral"),
        order=index if order is None else order,
        icon=r.text("icon"),
        styling=_styling(r.table("styling")) if "styling" in r.data else None,
    )
    if len(r.problems) == before:  # rules on top of broken keys would only add noise
        for key, message in check_definition(param):
            r.fail(key, message)
    return param


def _option(r: Reader) -> ParameterOption:
    r.allow("name", "value", "description", "icon")
    value = r.value("value")
    if value is None and "value" not in r.data:
        r.fail(("value",), "is required")
    return ParameterOption(
        name=r.text("name") or value or "",
        value=value or "",
        description=r.text("description"),
        icon=r.text("icon"),
    )


def _validation(r: Reader) -> ParameterValidation:
    r.allow("min", "max", "regex", "error", "monotonic")
    low, high = r.number("min"), r.number("max")
    return ParameterValidation(
        min=None if low is None else float(low),
        max=None if high is None else float(high),
        regex=r.text("regex"),
        error=r.text("error"),
        monotonic=r.choice("monotonic", ("increasing", "decreasing")),
    )


def _styling(r: Reader) -> ParameterStyling:
    r.allow("disabled", "placeholder", "mask_input")
    disabled, masked = r.get("disabled", "a boolean"), r.get("mask_input", "a boolean")
    return ParameterStyling(disabled=disabled, placeholder=r.text("placeholder"), mask_input=masked)


def _presets(readers: list[Reader], parameters: list[TemplateParameter]) -> list[Preset]:
    presets: list[Preset] = []
    for r in readers:
        r.allow("name", "description", "default", "parameters")
        preset = Preset(
            name=r.text("name", required=True) or "",
            description=r.text("description"),
            default=r.flag("default"),
            parameters=_preset_values(r.table("parameters"), parameters),
        )
        if any(p.name == preset.name for p in presets):
            r.fail(("name",), f"duplicate preset name '{preset.name}'")
        first = next((p.name for p in presets if p.default), None)
        if preset.default and first is not None:
            r.fail(("default",), f"only one preset can be the default ('{first}' already is)")
        presets.append(preset)
    return presets


def _preset_values(r: Reader, parameters: list[TemplateParameter]) -> dict[str, str]:
    by_name = {p.name: p for p in parameters}
    values: dict[str, str] = {}
    for key in r.data:
        value = r.value(key)
        problem = "unknown parameter" if key not in by_name else None
        if value is not None and problem is None:
            problem = check_value(by_name[key], value)
            values[key] = value
        if problem:
            r.fail((key,), problem)
    return values


def _check_references(
    root: Reader,
    command: list[str] | None,
    agent: TemplateAgent,
    workspace: TemplateWorkspace,
    known: set[str],
) -> None:
    for key, text in _texts(command, agent, workspace):
        for name in parameter_references(text):
            if name not in known:
                root.fail(key, f"refers to unknown parameter '{name}'")


def _texts(
    command: list[str] | None, agent: TemplateAgent, workspace: TemplateWorkspace
) -> Iterator[tuple[KeyPath, str]]:
    """Every text that may hold ``{{ parameters.NAME }}``, with its key path."""
    yield from ((("agent", "command", i), arg) for i, arg in enumerate(command or []))
    yield from ((("agent", "extra_args", i), arg) for i, arg in enumerate(agent.extra_args))
    for i, server in enumerate(agent.mcp_servers):
        at = ("agent", "mcp_servers", i)
        yield (*at, "command"), server.command
        yield from (((*at, "args", j), arg) for j, arg in enumerate(server.args))
        yield from (((*at, "env", k), v) for k, v in server.env.items())
    yield ("workspace", "setup_script"), workspace.setup_script or ""
    yield from ((("workspace", "env", e.name), e.value or "") for e in workspace.env)


def _sub_map(values: Mapping[str, str], sub: Callable[[str], str]) -> dict[str, str]:
    return {key: sub(value) for key, value in values.items()}
