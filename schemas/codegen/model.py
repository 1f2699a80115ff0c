"""Reads ``schemas/`` into a small model that the emitters render: types, methods and errors.

The loader accepts only the JSON Schema subset the emitters understand (string-enum types,
closed objects, arrays, string maps, ``$ref`` by file name) and rejects anything else, so a
schema can never mean more on the wire than the generated code can express. Validation keywords
(``minLength``, ``pattern``, ``minimum``...) pass through untouched: the runtime checks them
with jsonschema, not the generated classes.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_SUFFIX = ".schema.json"

# Keywords that only constrain values; the generated types ignore them.
_VALIDATION_KEYWORDS = {
    "description",
    "default",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
}
_PRIMITIVES = {"string", "integer", "number", "boolean"}


class SchemaError(Exception):
    """A schema file uses something the generator cannot express, or references are broken."""


@dataclass(frozen=True)
class TypeExpr:
    """The type of a property: a primitive, a named type, a list or a string-keyed map."""

    kind: str
    """``string``, ``integer``, ``number``, ``boolean``, ``datetime``, ``ref``, ``array`` or
    ``map``."""
    ref: str = ""
    """Name of the referenced type (``ref``)."""
    item: TypeExpr | None = None
    """Element type (``array``) or value type (``map``)."""


@dataclass(frozen=True)
class Field:
    """One property of an object type."""

    wire_name: str
    py_name: str
    type: TypeExpr
    required: bool
    description: str
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True)
class EnumType:
    """A named string enumeration."""

    name: str
    description: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ObjectType:
    """A named object with a closed set of properties."""

    name: str
    description: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Request:
    """A row of ``protocol.json``'s ``requests``."""

    method: str
    params: str
    result: str
    errors: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Notification:
    """A row of ``protocol.json``'s ``notifications``."""

    method: str
    params: str
    description: str


@dataclass(frozen=True)
class ErrorKind:
    """A row of ``errors.json``."""

    kind: str
    code: int
    message: str
    description: str


@dataclass(frozen=True)
class Model:
    """Everything the emitters need, in a stable order."""

    types: dict[str, EnumType | ObjectType]
    """Named types, sorted by name."""
    schemas: dict[str, Any]
    """The type schema documents as read, by file name, sorted."""
    requests: tuple[Request, ...]
    notifications: tuple[Notification, ...]
    errors: tuple[ErrorKind, ...]


def to_snake(name: str) -> str:
    """``displayName`` → ``display_name`` (the converter applies the inverse, :func:`to_camel`)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def to_camel(name: str) -> str:
    """``display_name`` → ``displayName``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def method_words(method: str) -> list[str]:
    """``taskyard/tasks/messageDidChange`` → ``["tasks", "message", "did", "change"]``."""
    _, area, name = method.split("/")
    return [area, *to_snake(name).split("_")]


def load(schemas_dir: Path) -> Model:
    """Read and cross-check ``protocol.json``, ``errors.json`` and ``types/*.schema.json``."""
    protocol = _read_valid(schemas_dir, "protocol.json", "protocol.schema.json")
    errors_doc = _read_valid(schemas_dir, "errors.json", "errors.schema.json")
    schemas = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((schemas_dir / "types").glob("*" + SCHEMA_SUFFIX))
    }
    types = {doc["title"]: _parse_type(file, doc) for file, doc in schemas.items()}
    errors = tuple(
        ErrorKind(kind, row["code"], row["message"], row["description"])
        for kind, row in errors_doc.items()
        if kind != "$schema"
    )
    requests = tuple(
        Request(r["method"], r["params"], r["result"], tuple(r["errors"]), r["description"])
        for r in protocol["requests"]
    )
    notifications = tuple(
        Notification(n["method"], n["params"], n["description"]) for n in protocol["notifications"]
    )
    model = Model(dict(sorted(types.items())), schemas, requests, notifications, errors)
    _check_references(model)
    return model


def _read_valid(schemas_dir: Path, name: str, schema_name: str) -> Any:
    doc = json.loads((schemas_dir / name).read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir / schema_name).read_text(encoding="utf-8"))
    try:
        jsonschema.Draft202012Validator(schema).validate(doc)
    except jsonschema.ValidationError as exc:
        raise SchemaError(f"{name}: {exc.message} @ {exc.json_path}") from None
    return doc


def _parse_type(file: str, doc: dict[str, Any]) -> EnumType | ObjectType:
    name = file.removesuffix(SCHEMA_SUFFIX)
    where = f"types/{file}"
    if doc.get("title") != name or doc.get("$schema") != DRAFT:
        raise SchemaError(f"{where}: needs title {name!r} and $schema {DRAFT!r}")
    description = doc.get("description", "")
    if "enum" in doc:
        values = doc["enum"]
        if doc.get("type") != "string" or not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{where}: enumerations must be string enums")
        return EnumType(name, description, tuple(values))
    if doc.get("type") != "object" or doc.get("additionalProperties") is not False:
        raise SchemaError(f"{where}: a named type is a string enum or a closed object")
    _only(
        where, doc, {"$schema", "title", "type", "required", "properties", "additionalProperties"}
    )
    required = set(doc.get("required", []))
    properties: dict[str, Any] = doc.get("properties", {})
    if not required <= properties.keys():
        unknown = sorted(required - properties.keys())
        raise SchemaError(f"{where}: required names unknown properties {unknown}")
    fields = tuple(
        _parse_field(f"{where}#{wire}", wire, prop, wire in required)
        for wire, prop in properties.items()
    )
    return ObjectType(name, description, fields)


def _parse_field(where: str, wire: str, prop: dict[str, Any], required: bool) -> Field:
    py_name = to_snake(wire)
    if to_camel(py_name) != wire or keyword.iskeyword(py_name):
        raise SchemaError(f"{where}: property names must be camelCase identifiers")
    if required and "default" in prop:
        raise SchemaError(f"{where}: a required property cannot have a default")
    return Field(
        wire_name=wire,
        py_name=py_name,
        type=_parse_expr(where, prop),
        required=required,
        description=prop.get("description", ""),
        has_default="default" in prop,
        default=prop.get("default"),
    )


def _parse_expr(where: str, prop: dict[str, Any]) -> TypeExpr:
    if "$ref" in prop:
        _only(where, prop, {"$ref"})
        ref = prop["$ref"]
        if not ref.endswith(SCHEMA_SUFFIX) or "/" in ref:
            raise SchemaError(f"{where}: $ref must name a sibling file, got {ref!r}")
        return TypeExpr("ref", ref=ref.removesuffix(SCHEMA_SUFFIX))
    kind = prop.get("type")
    if kind == "array":
        _only(where, prop, {"type", "items"})
        return TypeExpr("array", item=_parse_expr(f"{where}[]", prop["items"]))
    if kind == "object":
        values = prop.get("additionalProperties")
        if "properties" in prop or not isinstance(values, dict):
            raise SchemaError(f"{where}: nested objects must be named types (or string maps)")
        _only(where, prop, {"type", "additionalProperties"})
        return TypeExpr("map", item=_parse_expr(f"{where}{{}}", values))
    if kind in _PRIMITIVES and "enum" not in prop:
        _only(where, prop, {"type"})
        if prop.get("format") == "date-time":
            return TypeExpr("datetime")
        return TypeExpr(kind)
    raise SchemaError(f"{where}: unsupported schema {prop!r} (enums must be named types)")


def _only(where: str, schema: dict[str, Any], allowed: set[str]) -> None:
    unknown = schema.keys() - allowed - _VALIDATION_KEYWORDS
    if unknown:
        raise SchemaError(f"{where}: unsupported keywords {sorted(unknown)}")


def _check_references(model: Model) -> None:
    def refs(expr: TypeExpr) -> list[str]:
        if expr.kind == "ref":
            return [expr.ref]
        return refs(expr.item) if expr.item else []

    used = [
        (f"types/{t.name}{SCHEMA_SUFFIX}", ref)
        for t in model.types.values()
        if isinstance(t, ObjectType)
        for f in t.fields
        for ref in refs(f.type)
    ]
    used += [(r.method, name) for r in model.requests for name in (r.params, r.result)]
    used += [(n.method, n.params) for n in model.notifications]
    missing = sorted({f"{where} → {name}" for where, name in used if name not in model.types})
    kinds = {e.kind for e in model.errors}
    missing += [
        f"{r.method} → error {k}" for r in model.requests for k in r.errors if k not in kinds
    ]
    methods = [r.method for r in model.requests] + [n.method for n in model.notifications]
    if len(set(methods)) != len(methods):
        missing.append("duplicate method names")
    if missing:
        raise SchemaError("broken references:\n  " + "\n  ".join(missing))
