"""The wire converter: camelCase JSON ↔ the attrs classes of :mod:`._generated`.

Every value that crosses the JSON-RPC boundary goes through here, never through lsprotocol's
converter, which drops fields equal to their default (see docs/CONTRIBUTING.md). The rules:

- field names are snake_case in Python and camelCase on the wire;
- unknown keys are rejected when structuring;
- when unstructuring, an optional field whose default is ``None`` is left out while it is
  ``None``; every other field is written, even when it equals its default (``limit: 100``);
- ``datetime`` fields must be timezone-aware; they are read from any RFC 3339 string with an
  offset and written in UTC with milliseconds (``2026-03-01T09:30:00.000Z``), the form the
  bridge and agentapi use;
- enumerations are ``Literal`` strings and need no hook.

Incoming data is first validated against its JSON Schema (from :mod:`._schemas`), because
cattrs alone would coerce ``"5"`` to ``5`` and knows nothing of patterns, lengths, ranges or
enum sets. Either step's failures become one :class:`WireError` whose message lists every
problem as ``<what> @ <JSON path>`` with wire names, e.g. ``required field missing @ $.template``.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import attrs
import cattrs
import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ._generated import METHODS, NOTIFICATIONS
from ._schemas import SCHEMAS

T = TypeVar("T")

INVALID_PARAMS = -32602
"""JSON-RPC's error code for params that do not match the method's schema."""


class WireError(ValueError):
    """Wire data does not match its schema; ``str()`` lists every problem with its JSON path.

    Built from one or more problems, each ``<what> @ <JSON path>``:
    ``WireError("required field missing @ $.template")``.
    """

    def __init__(self, *errors: str) -> None:
        self.errors: tuple[str, ...] = errors
        """Each problem, as ``<what> @ <JSON path>``."""
        self.message = "; ".join(errors)
        """All problems in one line, suitable for a JSON-RPC error message."""
        super().__init__(self.message)


class ParamsError(WireError):
    """A request's or notification's params do not match the method's schema.

    Answer it with a JSON-RPC ``-32602`` error (:data:`INVALID_PARAMS`) carrying ``message``.
    """

    code = INVALID_PARAMS


def _to_camel(name: str) -> str:
    # The generator refuses any schema property for which this is not the exact inverse of
    # its snake_case name, so the rename needs no table.
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _structure_datetime(value: Any, _: type) -> datetime.datetime:
    if not isinstance(value, str):
        raise TypeError("expected an RFC 3339 date-time string")
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("date-time has no UTC offset")
    return parsed


def _unstructure_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        # A naive time would be read back in some other zone; refuse to guess.
        raise ValueError(f"naive datetime {value!r} cannot go on the wire")
    utc = value.astimezone(datetime.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)

    def structure_hook(cls: type[Any]) -> Any:
        # Typed Any: the overrides share **kwargs with cattrs's own keyword flags.
        renames: dict[str, Any] = {
            f.name: override(rename=_to_camel(f.name)) for f in attrs.fields(cls)
        }
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **renames)

    def unstructure_hook(cls: type[Any]) -> Any:
        fields: dict[str, Any] = {
            f.name: override(rename=_to_camel(f.name), omit_if_default=f.default is None)
            for f in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **fields)

    conv.register_structure_hook_factory(attrs.has, structure_hook)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_hook)
    conv.register_structure_hook(datetime.datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime.datetime, _unstructure_datetime)
    return conv


converter = _make_converter()
"""The protocol's cattrs converter (see the module docstring for its rules)."""

_REGISTRY: Registry[Any] = Registry().with_resources(
    (name, DRAFT202012.create_resource(schema)) for name, schema in SCHEMAS.items()
)


@functools.cache
def _validator(type_name: str) -> Any:
    # A class is named after its schema file, so "$ref" finds it in the registry.
    return jsonschema.Draft202012Validator({"$ref": f"{type_name}.schema.json"}, registry=_REGISTRY)


def structure(data: Any, cls: type[T]) -> T:
    """Validate wire data against ``cls``'s schema and build the instance.

    Raises
    ------
    WireError
        The data does not match; the message names every offending field by its JSON path.
    """
    problems = list(_schema_problems(_validator(cls.__name__).iter_errors(data)))
    if problems:
        raise WireError(*problems)
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs groups every failure in one exception tree
        raise WireError(*_camel_paths(cattrs.transform_error(exc))) from None


def structure_params(method: str, params: Any) -> Any:
    """Build the params instance of a request or notification from its raw JSON params.

    ``None`` (params omitted) counts as ``{}``. Raises :class:`ParamsError` when the params do
    not match the method's schema, and :class:`KeyError` for a method not in the protocol.
    """
    cls = METHODS[method][0] if method in METHODS else NOTIFICATIONS[method]
    try:
        return structure({} if params is None else params, cls)
    except WireError as exc:
        raise ParamsError(*exc.errors) from None


def structure_result(method: str, result: Any) -> Any:
    """Build a request's result instance from its JSON (for clients and tests)."""
    return structure(result, METHODS[method][1])


def unstructure(obj: Any) -> dict[str, Any]:
    """Turn a wire instance (params, result or notification payload) into its JSON object."""
    if not attrs.has(type(obj)):
        raise TypeError(f"{type(obj).__name__} is not a protocol type")
    data: dict[str, Any] = converter.unstructure(obj)
    return data


def _schema_problems(errors: Iterable[Any]) -> Iterator[str]:
    seen: set[str] = set()
    for error in sorted(errors, key=lambda e: (_path(e.absolute_path), e.validator)):
        for problem in _describe(error):
            if problem not in seen:
                seen.add(problem)
                yield problem


def _describe(error: Any) -> list[str]:
    path = _path(error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        # jsonschema reports each missing name in its own error, all with the full list.
        missing = [name for name in error.validator_value if name not in instance]
        return [f"required field missing @ {_join(path, name)}" for name in missing]
    if error.validator == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        return [f"extra fields found ({', '.join(extra)}) @ {path}"]
    if error.validator == "type":
        expected = error.validator_value
        return [f"invalid type (expected {expected}, got {_json_type(instance)}) @ {path}"]
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return [f"invalid value {json.dumps(instance)} (expected one of: {allowed}) @ {path}"]
    return [f"{error.message} @ {path}"]


def _path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def _json_type(value: Any) -> str:
    for python_type, name in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, python_type):
            return name
    return "null"


_ATTRIBUTE = re.compile(r"\.([a-z][a-z0-9_]*)")


def _camel_paths(problems: Iterable[str]) -> list[str]:
    # cattrs names attributes in its paths; the client only knows the wire (camelCase) names.
    out = []
    for problem in problems:
        what, sep, path = problem.rpartition(" @ ")
        path = _ATTRIBUTE.sub(lambda m: "." + _to_camel(m.group(1)), path)
        out.append(f"{what}{sep}{path}")
    return out
