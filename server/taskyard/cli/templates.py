"""``taskyard template``: the templates a task can be created from, and broken template files.

Reads the same folders as the sidecar (built-in, ``$XDG_CONFIG_HOME/taskyard/templates``, the
workspace's ``.taskyard/templates``) without starting the task engine.
"""

from __future__ import annotations

from taskyard.cli.output import clip
from taskyard.cli.runtime import Context
from taskyard.errors import as_taskyard_error
from taskyard.protocol import Preset, Template, TemplateDiagnostic, TemplateParameter
from taskyard.services.templates import TemplateNotFoundError, TemplateService


async def list_cmd(ctx: Context) -> int:
    catalog = await ctx.catalog()
    if ctx.out.json:
        ctx.out.data(catalog.snapshot())
        return 0
    headers = ("name", "source", "agent", "parameters", "presets", "description")
    rows = [
        [
            t.name,
            t.source,
            t.agent.type,
            str(len(t.parameters)),
            str(len(t.presets)),
            clip(t.description, 50),
        ]
        for t in catalog.templates
    ]
    ctx.out.table(headers, rows)
    _diagnostics(ctx, catalog.diagnostics)
    return 0


def _diagnostics(ctx: Context, diagnostics: list[TemplateDiagnostic]) -> None:
    if not diagnostics:
        return
    ctx.out.print("")
    ctx.out.print("Broken template files (not offered):")
    for d in diagnostics:
        where = d.path + "".join(f":{n}" for n in (d.line, d.column) if n is not None)
        ctx.out.print(f"  {where}: {d.severity}: {d.message}")


async def show_cmd(ctx: Context) -> int:
    catalog = await ctx.catalog()
    template = _get(catalog, ctx.args.name)
    if ctx.out.json:
        ctx.out.data(template)
        return 0
    _summary(ctx, template)
    ctx.out.print("")
    if template.parameters:
        headers = ("name", "type", "form type", "default", "required", "options", "validation")
        ctx.out.table(headers, [_parameter_row(p) for p in template.parameters])
    else:
        ctx.out.print("No parameters.")
    ctx.out.print("")
    if template.presets:
        ctx.out.table(
            ("preset", "default", "description", "values"),
            [_preset_row(p) for p in template.presets],
        )
    else:
        ctx.out.print("No presets.")
    return 0


def _get(catalog: TemplateService, name: str) -> Template:
    """The template, or its error naming the broken file that would have defined it."""
    try:
        return catalog.get(name)
    except TemplateNotFoundError as exc:
        err = as_taskyard_error(exc)
        assert err is not None  # TemplateNotFoundError always maps to templateNotFound
        broken = [d for d in catalog.diagnostics if d.path.endswith(f"/{name}.toml")]
        if broken:
            err.message += f" ({broken[0].path} failed to load: {broken[0].message})"
            err.args = (err.message,)
        raise err from None


def _summary(ctx: Context, t: Template) -> None:
    ws = t.workspace
    fields = [
        ("Name", t.name),
        ("Display name", t.display_name),
        ("Source", f"{t.source}" + (f" ({t.path})" if t.path else "")),
        ("Agent", t.agent.type + (f" {t.agent.version}" if t.agent.version else "")),
        ("Workspace", f"provider {ws.provider}, repository {ws.repo}"),
        ("Description", t.description.strip()),
    ]
    for label, value in fields:
        lines = value.splitlines() or [""]
        ctx.out.print(f"{label + ':':<14}{lines[0]}")
        for line in lines[1:]:
            ctx.out.print(f"{'':<14}{line}")


def _parameter_row(p: TemplateParameter) -> list[str]:
    options = ", ".join(o.value for o in p.options)
    return [
        p.name,
        p.type,
        p.form_type,
        "-" if p.default is None else p.default,
        "yes" if p.required else "no",
        options or "-",
        _validation(p) or "-",
    ]


def _validation(p: TemplateParameter) -> str:
    v = p.validation
    if v is None:
        return ""
    parts = []
    if v.min is not None or v.max is not None:
        parts.append(f"{_num(v.min)}..{_num(v.max)}")
    if v.regex:
        parts.append(f"matches /{v.regex}/")
    if v.monotonic:
        parts.append(v.monotonic)
    return ", ".join(parts)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _preset_row(p: Preset) -> list[str]:
    values = ", ".join(f"{k}={v}" for k, v in p.parameters.items())
    return [p.name, "yes" if p.default else "no", p.description or "", values]
