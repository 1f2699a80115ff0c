"""Parameter values against Coder's rules, presets, and ``{{ parameters.NAME }}`` rendering.

The parameters come from ``tests/data/templates/values/rules.toml``, one per rule.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from taskyard.protocol import ParameterError, ParameterFormType, ParameterType, Template
from taskyard.services.templates.loader import load_file
from taskyard.services.templates.params import (
    PresetNotFoundError,
    RenderError,
    check_value,
    default_form_type,
    references,
    render,
    validate_values,
)

RULES = Path(__file__).parent.parent / "data" / "templates" / "values" / "rules.toml"


@pytest.fixture(scope="module")
def rules() -> Template:
    spec, diagnostics = load_file(RULES, "user")
    assert spec is not None, diagnostics
    return spec.template


VALUES = [
    pytest.param("title", "Fix it", None, id="string-length-in-range"),
    pytest.param("title", "ab", "must be at least 3 characters", id="string-too-short"),
    pytest.param("title", "much too long", "must be at most 10 characters", id="string-too-long"),
    pytest.param("branch", "feature/x-1.2", None, id="regex-matches"),
    pytest.param(
        "branch", "has space", "'has space' is not a branch name", id="regex-custom-error"
    ),
    pytest.param("branch", "main!", "'main!' is not a branch name", id="regex-is-a-full-match"),
    pytest.param("cpus", "8", None, id="number-at-max"),
    pytest.param("cpus", "1.5", None, id="number-fraction"),
    pytest.param("cpus", "-2", "must be at least 1", id="number-below-min"),
    pytest.param("cpus", "9", "must be at most 8", id="number-above-max"),
    pytest.param("cpus", "two", "'two' is not a number", id="number-not-parsed"),
    pytest.param("cpus", "nan", "'nan' is not a number", id="number-nan"),
    pytest.param("cpus", "inf", "'inf' is not a number", id="number-infinite"),
    pytest.param("cpus", "1e999", "'1e999' is not a number", id="number-overflows"),
    pytest.param("cpus", " 2", "' 2' is not a number", id="number-with-space"),
    pytest.param("budget", "0.75", None, id="float-bounds-pass"),
    pytest.param("budget", "11", "Budget 11 is outside 0.5..10.5", id="custom-error-placeholders"),
    pytest.param("verbose", "true", None, id="bool-true"),
    pytest.param("verbose", "false", None, id="bool-false"),
    pytest.param("verbose", "True", "must be true or false", id="bool-is-lower-case"),
    pytest.param("model", "opus", None, id="option-member"),
    pytest.param("model", "haiku", "'haiku' is not one of: sonnet, opus", id="option-not-member"),
    pytest.param("tools", '["git", "gh"]', None, id="multi-select-members"),
    pytest.param("tools", "[]", None, id="multi-select-empty"),
    pytest.param("tools", '["git", "npm"]', "'npm' is not one of: git, gh", id="multi-select-bad"),
    pytest.param("tools", "git", "must be a JSON array of strings", id="list-not-json"),
    pytest.param("tools", '["git", 1]', "must be a JSON array of strings", id="list-non-string"),
    pytest.param("tags", '["any", "thing"]', None, id="tag-select-free-strings"),
    pytest.param("tags", '{"a": 1}', "must be a JSON array of strings", id="tag-select-object"),
    pytest.param("notes", "", None, id="optional-empty-string"),
]


@pytest.mark.parametrize(("name", "value", "error"), VALUES)
def test_value_rules(rules: Template, name: str, value: str, error: str | None) -> None:
    param = next(p for p in rules.parameters if p.name == name)
    assert check_value(param, value) == error


CHANGES = [
    pytest.param("cpus", "4", "6", None, id="increasing-goes-up"),
    pytest.param("cpus", "4", "4", None, id="increasing-stays"),
    pytest.param(
        "cpus", "4", "3", "must be at least 4 (it can only increase)", id="increasing-down"
    ),
    pytest.param("retention", "30", "7", None, id="decreasing-goes-down"),
    pytest.param("retention", "30", "60", "must be at most 30 (it can only decrease)", id="dec-up"),
    pytest.param("region", "eu", "eu", None, id="immutable-unchanged"),
    pytest.param("region", "eu", "us", "cannot change after the task is created", id="immutable"),
    pytest.param("title", "Old", "New", None, id="mutable-changes"),
]


@pytest.mark.parametrize(("name", "previous", "value", "error"), CHANGES)
def test_changes_against_previous_values(
    rules: Template, name: str, previous: str, value: str, error: str | None
) -> None:
    param = next(p for p in rules.parameters if p.name == name)
    assert check_value(param, value, previous) == error
    assert check_value(param, value) is None, "without a previous value only the value counts"


PRESETS = [
    pytest.param(None, {}, {"cpus": "2", "model": "sonnet"}, id="no-preset-when-none-named"),
    pytest.param("small", {}, {"cpus": "2", "model": "sonnet"}, id="the-default-preset-named"),
    pytest.param("large", {}, {"cpus": "8", "model": "opus"}, id="named-preset"),
    pytest.param("large", {"cpus": "6"}, {"cpus": "6", "model": "opus"}, id="values-beat-preset"),
]


@pytest.mark.parametrize(("preset", "values", "expected"), PRESETS)
def test_presets(
    rules: Template, preset: str | None, values: dict[str, str], expected: dict[str, str]
) -> None:
    result = validate_values(rules, preset, {"title": "Fix", **values})
    assert result.valid, result.errors
    assert {k: result.resolved[k] for k in expected} == expected


def test_unknown_preset(rules: Template) -> None:
    with pytest.raises(PresetNotFoundError, match="preset 'huge' not found in template 'rules'"):
        validate_values(rules, "huge", {})


def test_resolved_holds_defaults_in_form_order(rules: Template) -> None:
    result = validate_values(rules, None, {"title": "Fix"})
    assert result.valid
    assert result.resolved == {
        "title": "Fix",
        "branch": "main",
        "cpus": "2",
        "budget": "1",
        "retention": "30",
        "verbose": "false",
        "model": "sonnet",
        "tools": '["git"]',
        "tags": "[]",
        "region": "eu",
        "notes": "",
    }


def test_every_error_is_reported_at_once(rules: Template) -> None:
    values = {"cpus": "12", "verbose": "yes", "colour": "red", "title": ""}
    result = validate_values(rules, "small", values, previous={"cpus": "4", "region": "us"})
    assert not result.valid
    assert result.errors == [
        ParameterError(parameter="title", message="is required"),
        ParameterError(parameter="cpus", message="must be at most 8"),
        ParameterError(parameter="verbose", message="must be true or false"),
        ParameterError(parameter="region", message="cannot change after the task is created"),
        ParameterError(parameter="colour", message="unknown parameter"),
    ]
    assert result.resolved["cpus"] == "12", "rejected values are still resolved"
    assert "colour" not in result.resolved


def test_missing_required_value_is_not_resolved(rules: Template) -> None:
    result = validate_values(rules, None, {})
    assert result.errors == [ParameterError(parameter="title", message="is required")]
    assert "title" not in result.resolved


RENDERS = [
    pytest.param("--model {{ parameters.model }}", "--model opus", id="one"),
    pytest.param("{{parameters.model}}/{{  parameters.cpus  }}", "opus/4", id="spacing"),
    pytest.param("no references", "no references", id="none"),
    pytest.param("docker ps --format '{{.Names}}'", "docker ps --format '{{.Names}}'", id="go-tpl"),
    pytest.param("{{ parameters.note }}", "it's {{ parameters.model }}", id="not-recursive"),
]


@pytest.mark.parametrize(("text", "expected"), RENDERS)
def test_render(text: str, expected: str) -> None:
    values = {"model": "opus", "cpus": "4", "note": "it's {{ parameters.model }}"}
    assert render(text, values) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("{{ parameters.missing }}", "missing", id="unknown-name"),
        pytest.param("{{ parameters.a.b }}", "a.b", id="malformed-name"),
        pytest.param("{{ parameters. }}", "", id="empty-name"),
    ],
)
def test_render_is_strict(text: str, name: str) -> None:
    with pytest.raises(RenderError) as caught:
        render(text, {"a": "1"})
    assert caught.value.name == name


def test_render_quotes_values_when_asked() -> None:
    script = "echo {{ parameters.msg }}"
    assert render(script, {"msg": "a b; rm -rf x"}, quote=shlex.quote) == "echo 'a b; rm -rf x'"
    assert references("{{ parameters.a }} and {{parameters.b}}") == ["a", "b"]


FORMS = [
    pytest.param("string", False, "input", id="string"),
    pytest.param("string", True, "dropdown", id="string-options"),
    pytest.param("number", False, "input", id="number"),
    pytest.param("number", True, "dropdown", id="number-options"),
    pytest.param("bool", False, "checkbox", id="bool"),
    pytest.param("bool", True, "radio", id="bool-options"),
    pytest.param("list(string)", False, "tag-select", id="list"),
    pytest.param("list(string)", True, "multi-select", id="list-options"),
]


@pytest.mark.parametrize(("type_", "options", "form"), FORMS)
def test_default_form_type(type_: ParameterType, options: bool, form: ParameterFormType) -> None:
    assert default_form_type(type_, options) == form
