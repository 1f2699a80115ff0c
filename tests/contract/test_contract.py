"""Contract tests: ``schemas/`` is consistent, its examples hold, and generated code is current.

The schemas are read from their files here (not from the generated ``_schemas`` module), so these
tests also catch a generated module that drifted from its source. Valid examples must validate
and round-trip through the converter: ``unstructure(structure(x)) == x`` once the schema's
declared defaults are filled into ``x`` (the converter always writes default-valued fields);
date-times in examples are written in the canonical ``...T09:30:00.000Z`` form the converter
emits. Invalid examples must be rejected with an error naming the offending field.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from taskyard import lifecycle, protocol
from taskyard.protocol import ParamsError, structure_params, structure_result, unstructure
from taskyard.protocol.converter import _to_camel

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = SCHEMAS / "examples"
TS_FILE = ROOT / "vscode-client/src/protocol/generated.ts"
TS_USAGE = Path(__file__).with_name("ts") / "usage.ts"
TSC = [
    *("npx", "-y", "-p", "typescript@5.8", "tsc", "--noEmit", "--strict"),
    *("--exactOptionalPropertyTypes", "--noUnusedLocals", "--noUnusedParameters"),
    *("--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler"),
]

# The codes the brief fixed; clients may hard-code them, so they must never change.
STABLE_CODES = {
    "taskNotFound": 1001,
    "templateNotFound": 1002,
    "invalidParameters": 1003,
    "taskNotReady": 1004,
    "workspaceFailure": 1005,
    "presetNotFound": 1006,
    "agentBusy": 1007,
    "invalidTransition": 1008,
    "agentFailure": 1009,
    "nameConflict": 1010,
    "secretMissing": 1011,
    "invalidTemplate": 1012,
    "noRepository": 1013,
}


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


PROTOCOL = read(SCHEMAS / "protocol.json")
ERRORS = {k: v for k, v in read(SCHEMAS / "errors.json").items() if k != "$schema"}
TYPES = {p.name: read(p) for p in sorted((SCHEMAS / "types").glob("*.schema.json"))}
REQUESTS = {r["method"]: r for r in PROTOCOL["requests"]}
NOTIFICATIONS = {n["method"]: n for n in PROTOCOL["notifications"]}
REGISTRY: Registry[Any] = Registry().with_resources(
    (name, DRAFT202012.create_resource(doc)) for name, doc in TYPES.items()
)


def validator(type_name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{type_name}.schema.json"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def method_of(path: Path) -> str:
    """``examples/taskyard/tasks/list/valid/x.json`` → ``taskyard/tasks/list``."""
    return path.parent.parent.relative_to(EXAMPLES).as_posix()


def example_params(kind: str) -> list[Any]:
    return [
        pytest.param(path, id=path.relative_to(EXAMPLES).as_posix())
        for path in sorted(EXAMPLES.glob(f"**/{kind}/*.json"))
    ]


def params_type(method: str) -> str:
    row = REQUESTS.get(method) or NOTIFICATIONS[method]
    return str(row["params"])


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def with_defaults(data: Any, schema: dict[str, Any]) -> Any:
    """``data`` with every default its schema declares filled in, recursively."""
    if "$ref" in schema:
        return with_defaults(data, TYPES[schema["$ref"]])
    if isinstance(data, list) and "items" in schema:
        return [with_defaults(item, schema["items"]) for item in data]
    if not isinstance(data, dict):
        return data
    if "properties" not in schema:  # a string map
        return dict(data)
    out = {key: with_defaults(value, schema["properties"][key]) for key, value in data.items()}
    for key, prop in schema["properties"].items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    return out


# ---- the schemas themselves -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "schema"),
    [("protocol.json", "protocol.schema.json"), ("errors.json", "errors.schema.json")],
)
def test_table_matches_its_schema(document: str, schema: str) -> None:
    meta = read(SCHEMAS / schema)
    Draft202012Validator.check_schema(meta)
    Draft202012Validator(meta).validate(read(SCHEMAS / document))


@pytest.mark.parametrize("name", list(TYPES))
def test_type_schema_is_valid_and_closed(name: str) -> None:
    doc = TYPES[name]
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert f"{doc['title']}.schema.json" == name

    def check(node: dict[str, Any], where: str) -> None:
        if node.get("type") == "object":
            extra = node.get("additionalProperties")
            is_map = "properties" not in node and isinstance(extra, dict)
            assert extra is False or is_map, f"{where}: objects must be closed"
        for key, prop in node.get("properties", {}).items():
            check(prop, f"{where}.{key}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                check(node[key], f"{where}.{key}")

    check(doc, name)


def test_every_referenced_type_exists() -> None:
    named = [(m, r[k]) for m, r in REQUESTS.items() for k in ("params", "result")]
    named += [(m, n["params"]) for m, n in NOTIFICATIONS.items()]
    missing = [f"{m} → {t}" for m, t in named if f"{t}.schema.json" not in TYPES]
    missing += [f"{f} → {r}" for f, doc in TYPES.items() for r in refs(doc) if r not in TYPES]
    assert missing == []


def test_every_type_is_used() -> None:
    roots = {f"{r[k]}.schema.json" for r in REQUESTS.values() for k in ("params", "result")}
    roots |= {f"{n['params']}.schema.json" for n in NOTIFICATIONS.values()}
    roots.add("ErrorData.schema.json")  # the data of every error response
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += refs(TYPES[name])
    assert sorted(set(TYPES) - seen) == []


def test_error_kinds_are_stable_and_complete() -> None:
    assert {kind: row["code"] for kind, row in ERRORS.items()} == STABLE_CODES
    assert TYPES["ErrorKind.schema.json"]["enum"] == list(ERRORS)
    declared = {kind for r in REQUESTS.values() for kind in r["errors"]}
    assert declared <= set(ERRORS)


def test_generated_tables_match_protocol() -> None:
    assert {m: (p.__name__, r.__name__) for m, (p, r) in protocol.METHODS.items()} == {
        m: (r["params"], r["result"]) for m, r in REQUESTS.items()
    }
    assert {m: p.__name__ for m, p in protocol.NOTIFICATIONS.items()} == {
        m: n["params"] for m, n in NOTIFICATIONS.items()
    }
    declared = {m: tuple(r["errors"]) for m, r in REQUESTS.items()}
    assert declared == protocol.REQUEST_ERRORS
    assert {k: (v["code"], v["message"]) for k, v in ERRORS.items()} == protocol.ERRORS


@pytest.mark.parametrize(
    "name", [n.removesuffix(".schema.json") for n, d in TYPES.items() if "properties" in d]
)
def test_wire_names_match_schema(name: str) -> None:
    cls = getattr(protocol, name)
    wire = [_to_camel(field.name) for field in attrs.fields(cls)]
    assert wire == list(TYPES[f"{name}.schema.json"]["properties"])


# ---- examples -------------------------------------------------------------------------------


def test_every_method_has_enough_examples() -> None:
    def count(method: str, kind: str) -> int:
        return len(list((EXAMPLES / method / kind).glob("*.json")))

    short = [m for m in REQUESTS if count(m, "valid") < 2 or count(m, "invalid") < 3]
    short += [m for m in REQUESTS if count(m, "result") < 1]
    short += [m for m in NOTIFICATIONS if count(m, "valid") < 1]
    assert short == []
    methods = {method_of(p) for p in EXAMPLES.glob("**/*.json")}
    assert methods - set(REQUESTS) - set(NOTIFICATIONS) == set()


@pytest.mark.parametrize("path", example_params("valid"))
def test_valid_example_round_trips(path: Path) -> None:
    method, data = method_of(path), read(path)
    type_name = params_type(method)
    validator(type_name).validate(data)
    expected = with_defaults(data, TYPES[f"{type_name}.schema.json"])
    assert unstructure(structure_params(method, data)) == expected


@pytest.mark.parametrize("path", example_params("invalid"))
def test_invalid_example_is_rejected(path: Path) -> None:
    example = read(path)
    assert set(example) == {"params", "expectedError"}
    with pytest.raises(ParamsError) as caught:
        structure_params(method_of(path), example["params"])
    assert example["expectedError"] in str(caught.value)


@pytest.mark.parametrize("path", example_params("result"))
def test_result_example_round_trips(path: Path) -> None:
    method, data = method_of(path), read(path)
    type_name = REQUESTS[method]["result"]
    validator(type_name).validate(data)
    expected = with_defaults(data, TYPES[f"{type_name}.schema.json"])
    assert unstructure(structure_result(method, data)) == expected


# ---- generated code -------------------------------------------------------------------------


def test_generated_files_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(SCHEMAS / "codegen/generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("npx") is None, reason="npx (Node.js) is not installed")
def test_typescript_compiles_and_accepts_examples(tmp_path: Path) -> None:
    shutil.copy(TS_FILE, tmp_path / "generated.ts")
    shutil.copy(TS_USAGE, tmp_path / "usage.ts")
    (tmp_path / "examples.ts").write_text(typed_examples(), encoding="utf-8")
    done = subprocess.run(
        [*TSC, "generated.ts", "usage.ts", "examples.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def typed_examples() -> str:
    """A TS module assigning every valid params and result example to its declared type."""
    typed: list[tuple[str, Path]] = []
    for path in sorted(EXAMPLES.glob("**/*.json")):
        kind, method = path.parent.name, method_of(path)
        if kind == "valid":
            typed.append((params_type(method), path))
        elif kind == "result":
            typed.append((REQUESTS[method]["result"], path))
    names = sorted({type_name for type_name, _ in typed})
    lines = [f"import type {{ {', '.join(names)} }} from './generated';"]
    for index, (type_name, path) in enumerate(typed):
        lines.append(f"// {path.relative_to(EXAMPLES).as_posix()}")
        lines.append(f"export const example{index}: {type_name} = {path.read_text()};")
    return "\n".join(lines) + "\n"


# -- the lifecycle's enums are the wire's words --------------------------------------------------


def _enum_values(type_name: str) -> list[str]:
    return list(TYPES[f"{type_name}.schema.json"]["enum"])


@pytest.mark.parametrize(
    ("enum", "wire"),
    [
        pytest.param(lifecycle.TaskStatus, _enum_values("TaskStatus"), id="TaskStatus"),
        pytest.param(lifecycle.AgentState, _enum_values("AgentState"), id="AgentState"),
        pytest.param(lifecycle.StateSource, _enum_values("StateSource"), id="StateSource"),
        pytest.param(
            lifecycle.ProviderName, _enum_values("WorkspaceProvider"), id="WorkspaceProvider"
        ),
        pytest.param(
            lifecycle.Action,
            list(TYPES["TaskActions.schema.json"]["properties"]),
            id="TaskActions",
        ),
    ],
)
def test_lifecycle_enums_speak_the_wire(enum: type[Any], wire: list[str]) -> None:
    assert [member.value for member in enum] == wire
