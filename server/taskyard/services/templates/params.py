"""Template parameters: Coder's parameter rules, the value check and ``{{ parameters.NAME }}``.

A template parameter follows Coder's ``coder_parameter`` model (coder-tasks.md §6): a ``type``
(``string``, ``number``, ``bool``, ``list(string)``), a ``form_type`` widget that must suit the
type (:data:`FORM_TYPES`), optional ``options`` and ``validation``. Every value is a string, a
``list(string)`` value being a JSON array of strings.

This module checks a parameter's definition once, when its template loads
(:func:`check_definition`), and checks values each time the user edits the create form or
creates a task (:func:`validate_values`): defaults, then a preset, then the given values. It
also substitutes parameter values into template text (:func:`render`). It does no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Final, NamedTuple

from taskyard.errors import PresetNotFoundError, TemplateNotFoundError
from taskyard.protocol import (
    ParameterError,
    ParameterFormType,
    ParameterType,
    ParameterValidation,
    Preset,
    Template,
    TemplateParameter,
    TemplatesValidateResult,
)

__all__ = [
    "FORM_TYPES",
    "MAX_OPTIONS",
    "FormRule",
    "KeyPath",
    "PresetNotFoundError",
    "RenderError",
    "TemplateNotFoundError",
    "ValidationResult",
    "check_definition",
    "check_value",
    "default_form_type",
    "find_preset",
    "references",
    "render",
    "validate_values",
]

ValidationResult = TemplatesValidateResult
"""What :func:`validate_values` returns: the wire's ``TemplatesValidateResult``."""

KeyPath = tuple[str | int, ...]
"""A key inside a template file, e.g. ``("validation", "min")`` or ``("options", 2, "value")``."""

MAX_OPTIONS: Final = 64
"""Coder's limit on the number of options of one parameter."""


class FormRule(NamedTuple):
    """Which parameter types a widget renders, and whether it shows options."""

    types: frozenset[ParameterType]
    options: bool


FORM_TYPES: Final[Mapping[ParameterFormType, FormRule]] = {
    "radio": FormRule(frozenset({"string", "number", "bool", "list(string)"}), True),
    "dropdown": FormRule(frozenset({"string", "number"}), True),
    "multi-select": FormRule(frozenset({"list(string)"}), True),
    "tag-select": FormRule(frozenset({"list(string)"}), False),
    "input": FormRule(frozenset({"string", "number"}), False),
    "textarea": FormRule(frozenset({"string"}), False),
    "slider": FormRule(frozenset({"number"}), False),
    "checkbox": FormRule(frozenset({"bool"}), False),
    "switch": FormRule(frozenset({"bool"}), False),
}
"""Coder's pairing table (coder-tasks.md §6): form type → the types it renders and options."""

# A plain decimal number: float() alone would also take "nan", "1_000" and " 5 ".
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Captures anything up to the closing braces, so a malformed name is reported, not kept.
_REFERENCE = re.compile(r"\{\{\s*parameters\.([^\s}]*)\s*\}\}")


class RenderError(ValueError):
    """Text refers to a parameter that has no value (or to a malformed parameter name)."""

    def __init__(self, name: str) -> None:
        self.name = name
        """The name inside ``{{ parameters.NAME }}``."""
        super().__init__(f"unknown parameter '{name}' in {{{{ parameters.{name} }}}}")


def default_form_type(type_: ParameterType, has_options: bool) -> ParameterFormType:
    """The widget Coder picks when a parameter names none."""
    if type_ == "bool":
        return "radio" if has_options else "checkbox"
    if type_ == "list(string)":
        return "multi-select" if has_options else "tag-select"
    return "dropdown" if has_options else "input"


def references(text: str) -> list[str]:
    """The parameter names ``text`` refers to, in order of appearance."""
    return _REFERENCE.findall(text)


def render(
    text: str, values: Mapping[str, str], *, quote: Callable[[str], str] | None = None
) -> str:
    """Replace every ``{{ parameters.NAME }}`` in ``text`` with its value.

    Strict: a name without a value raises :class:`RenderError`. Other ``{{ … }}`` text (a
    Go template in a setup script, say) is left alone. ``quote`` (e.g. ``shlex.quote``)
    escapes each value, for text that a shell will read.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(name)
        return quote(values[name]) if quote else values[name]

    return _REFERENCE.sub(substitute, text)


def check_definition(param: TemplateParameter) -> list[tuple[KeyPath, str]]:
    """Problems with a parameter as a template declares it, keyed inside the parameter.

    Checks the form type against the type, the options against the form type and the type,
    the validation keys against the type, and finally the default against everything.
    """
    problems = _form_problems(param) + _option_problems(param) + _validation_problems(param)
    if not problems and param.default is not None:
        message = check_value(param, param.default)
        if message:
            problems.append((("default",), message))
    return problems


def check_value(param: TemplateParameter, value: str, previous: str | None = None) -> str | None:
    """Why ``value`` is not acceptable for ``param``, or None if it is.

    ``previous`` is the value the task was created with; only then do ``mutable`` and
    ``validation.monotonic`` apply. A failure of the validation block (min, max, regex,
    monotonic) reports ``validation.error`` when the template sets one.
    """
    problem = _type_problem(param.type, value) or _option_problem(param, value)
    if problem:
        return problem
    if previous is not None and not param.mutable and value != previous:
        return "cannot change after the task is created"
    problem = _bounds_problem(param, value) or _change_problem(param, value, previous)
    if problem and param.validation and param.validation.error:
        return _custom_error(param.validation, value)
    return problem


def find_preset(template: Template, preset: str | None) -> Preset | None:
    """The named preset, or None when none is named.

    A template's ``default`` preset is what clients select first (the form, the CLI without
    ``--no-preset``); the sidecar applies only the preset it is given, so that the preset a task
    records is always the one whose values it got.
    """
    if preset is None:
        return None
    found = next((p for p in template.presets if p.name == preset), None)
    if found is None:
        raise PresetNotFoundError(template.name, preset)
    return found


def validate_values(
    template: Template,
    preset: str | None,
    values: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
) -> ValidationResult:
    """Resolve and check a template's parameter values; every problem is reported at once.

    Values come from the defaults, then the preset (see :func:`find_preset`, which raises
    :class:`PresetNotFoundError`), then ``values``. ``resolved`` holds every known parameter that
    has a value, in form order, whether or not the value passed.
    """
    chosen = find_preset(template, preset)
    known = {p.name for p in template.parameters}
    merged = {p.name: p.default for p in template.parameters if p.default is not None}
    merged.update(chosen.parameters if chosen else {})
    merged.update({name: value for name, value in values.items() if name in known})
    errors = [
        error
        for param in template.parameters
        if (error := _parameter_error(param, merged.get(param.name), previous))
    ]
    errors += [
        ParameterError(parameter=n, message="unknown parameter") for n in values if n not in known
    ]
    resolved = {p.name: merged[p.name] for p in template.parameters if p.name in merged}
    return ValidationResult(valid=not errors, errors=errors, resolved=resolved)


def _parameter_error(
    param: TemplateParameter, value: str | None, previous: Mapping[str, str] | None
) -> ParameterError | None:
    if value is None or (param.required and value == ""):
        return ParameterError(parameter=param.name, message="is required")
    message = check_value(param, value, (previous or {}).get(param.name))
    return ParameterError(parameter=param.name, message=message) if message else None


def _form_problems(param: TemplateParameter) -> list[tuple[KeyPath, str]]:
    rule = FORM_TYPES[param.form_type]
    if param.type in rule.types:
        return []
    fits = ", ".join(sorted(rule.types))
    message = f"form type '{param.form_type}' does not fit type '{param.type}' (it takes {fits})"
    return [(("form_type",), message)]


def _option_problems(param: TemplateParameter) -> list[tuple[KeyPath, str]]:
    wants = FORM_TYPES[param.form_type].options
    if param.options and not wants:
        return [(("options",), f"a '{param.form_type}' parameter cannot have options")]
    if wants and not param.options:
        return [(("options",), f"a '{param.form_type}' parameter needs options")]
    if len(param.options) > MAX_OPTIONS:
        return [(("options",), f"at most {MAX_OPTIONS} options are allowed")]
    problems: list[tuple[KeyPath, str]] = []
    seen: set[str] = set()
    for index, option in enumerate(param.options):
        # A list(string) option is one element of the list, so it is any string.
        element: ParameterType = "string" if param.type == "list(string)" else param.type
        problem = _type_problem(element, option.value)
        if option.value in seen:
            problem = f"duplicate option value '{option.value}'"
        if problem:
            problems.append((("options", index, "value"), problem))
        seen.add(option.value)
    return problems


def _validation_problems(param: TemplateParameter) -> list[tuple[KeyPath, str]]:
    rules = param.validation
    problems: list[tuple[KeyPath, str]] = []
    if param.form_type == "slider" and (rules is None or rules.min is None or rules.max is None):
        problems.append((("validation",), "a slider needs validation.min and validation.max"))
    if rules is None:
        return problems
    if (rules.min is not None or rules.max is not None) and param.type not in ("number", "string"):
        problems.append((("validation",), "min and max apply to number and string parameters"))
    if rules.min is not None and rules.max is not None and rules.min > rules.max:
        problems.append((("validation", "max"), f"is below min ({_number(rules.min)})"))
    if rules.monotonic is not None and param.type != "number":
        problems.append((("validation", "monotonic"), "applies to number parameters only"))
    if rules.regex is not None:
        problems += _regex_problems(param.type, rules.regex)
    return problems


def _regex_problems(type_: ParameterType, regex: str) -> list[tuple[KeyPath, str]]:
    if type_ != "string":
        return [(("validation", "regex"), "applies to string parameters only")]
    try:
        re.compile(regex)
    except re.error as exc:
        return [(("validation", "regex"), f"invalid regular expression: {exc}")]
    return []


def _type_problem(type_: ParameterType, value: str) -> str | None:
    if type_ == "number" and _as_number(value) is None:
        return f"'{value}' is not a number"
    if type_ == "bool" and value not in ("true", "false"):
        return "must be true or false"
    if type_ == "list(string)" and _as_list(value) is None:
        return "must be a JSON array of strings"
    return None


def _option_problem(param: TemplateParameter, value: str) -> str | None:
    allowed = [option.value for option in param.options]
    if not allowed:
        return None
    chosen = _as_list(value) if param.type == "list(string)" else [value]
    bad = [item for item in chosen or [] if item not in allowed]
    if not bad:
        return None
    return f"'{bad[0]}' is not one of: {', '.join(allowed)}"


def _bounds_problem(param: TemplateParameter, value: str) -> str | None:
    rules = param.validation
    if rules is None or param.type not in ("number", "string"):
        return None
    if rules.regex is not None and not re.fullmatch(rules.regex, value):
        return f"must match {rules.regex}"
    # Bounds limit a number's value and a string's length.
    measure = _as_number(value) if param.type == "number" else float(len(value))
    unit = "" if param.type == "number" else " characters"
    if measure is not None and rules.min is not None and measure < rules.min:
        return f"must be at least {_number(rules.min)}{unit}"
    if measure is not None and rules.max is not None and measure > rules.max:
        return f"must be at most {_number(rules.max)}{unit}"
    return None


def _change_problem(param: TemplateParameter, value: str, previous: str | None) -> str | None:
    direction = param.validation.monotonic if param.validation else None
    new, old = _as_number(value), _as_number(previous or "")
    if direction is None or new is None or old is None:
        return None
    if direction == "increasing" and new < old:
        return f"must be at least {_number(old)} (it can only increase)"
    if direction == "decreasing" and new > old:
        return f"must be at most {_number(old)} (it can only decrease)"
    return None


def _custom_error(rules: ParameterValidation, value: str) -> str:
    # Coder substitutes these three placeholders, and nothing else, in validation.error.
    text = (rules.error or "").replace("{value}", value)
    text = text.replace("{min}", "" if rules.min is None else _number(rules.min))
    return text.replace("{max}", "" if rules.max is None else _number(rules.max))


def _as_number(value: str) -> float | None:
    if not _NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _as_list(value: str) -> list[str] | None:
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return None
    return items


def _number(value: float) -> str:
    """``2.0`` → ``2``, ``2.5`` → ``2.5``: bounds read as the template author wrote them."""
    return str(int(value)) if value.is_integer() else repr(value)
