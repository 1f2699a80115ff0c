"""Strict reading of a TOML table, and the diagnostics that point into the file.

:class:`Reader` gives typed access to one table of a parsed TOML document and records every
problem (unknown key, wrong type, value out of range) with its key path instead of raising, so
a broken template file yields all its problems at once. :func:`diagnostic` turns a problem into
a :class:`TemplateDiagnostic` whose line and column are found, best effort, in the file's text.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast

import attrs

from taskyard.protocol import DiagnosticSeverity, TemplateDiagnostic

from .params import KeyPath

__all__ = ["Problem", "Reader", "describe", "diagnostic", "syntax_diagnostic", "value_string"]

Problem = tuple[KeyPath, str, DiagnosticSeverity]
"""One problem in a file: where, what, how bad."""

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]")
_SYNTAX_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")

_KINDS: Final[Mapping[str, Callable[[object], bool]]] = {
    "a string": lambda v: isinstance(v, str),
    "an integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "a boolean": lambda v: isinstance(v, bool),
    "a table": lambda v: isinstance(v, dict),
    "an array of strings": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "an array of tables": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
    "a table of strings": lambda v: (
        isinstance(v, dict) and all(isinstance(i, str) for i in v.values())
    ),
}


@attrs.define
class Reader:
    """Typed access to one TOML table that records, rather than raises, every problem."""

    data: Mapping[str, Any]
    at: KeyPath
    problems: list[Problem]

    def fail(self, key: KeyPath, message: str, severity: DiagnosticSeverity = "error") -> None:
        """Record a problem at ``key`` (relative to this table)."""
        self.problems.append(((*self.at, *key), message, severity))

    def allow(self, *keys: str) -> None:
        """Report every key of the table that is not among ``keys``."""
        for key in self.data:
            if key not in keys:
                self.fail((key,), f"unknown key (expected one of: {', '.join(keys)})")

    def get(self, key: str, kind: str, *, required: bool = False) -> Any:
        """The value if it is of ``kind`` (a :data:`_KINDS` name), else None and a problem."""
        if key not in self.data:
            if required:
                self.fail((key,), "is required")
            return None
        if _KINDS[kind](self.data[key]):
            return self.data[key]
        self.fail((key,), f"expected {kind}, got {describe(self.data[key])}")
        return None

    def text(self, key: str, *, required: bool = False) -> str | None:
        return cast(str | None, self.get(key, "a string", required=required))

    def strings(self, key: str) -> list[str] | None:
        return cast(list[str] | None, self.get(key, "an array of strings"))

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean, ``default`` when absent or wrong."""
        value = self.get(key, "a boolean")
        return default if value is None else bool(value)

    def number(self, key: str, kind: str = "a number", low: float | None = None) -> Any:
        """A number (or ``kind``) not below ``low``."""
        value = self.get(key, kind)
        if value is not None and low is not None and value < low:
            self.fail((key,), f"must be at least {low}")
            return None
        return value

    def choice(self, key: str, allowed: Sequence[str], *, required: bool = False) -> Any:
        """A string from ``allowed``."""
        value = self.text(key, required=required)
        if value is not None and value not in allowed:
            self.fail((key,), f"'{value}' is not one of: {', '.join(allowed)}")
            return None
        return value

    def value(self, key: str) -> str | None:
        """A parameter value: a string, or a number, boolean or string array written bare."""
        raw = self.data.get(key)
        converted = value_string(raw)
        if raw is not None and converted is None:
            self.fail(
                (key,),
                f"expected a string, number, boolean or array of strings, got {describe(raw)}",
            )
        return converted

    def table(self, key: str) -> Reader:
        """A reader for a sub-table (empty when absent or wrong)."""
        return Reader(self.get(key, "a table") or {}, (*self.at, key), self.problems)

    def tables(self, key: str) -> list[Reader]:
        """Readers for each table of an array of tables."""
        items = self.get(key, "an array of tables") or []
        return [Reader(item, (*self.at, key, i), self.problems) for i, item in enumerate(items)]


def value_string(raw: object) -> str | None:
    """A parameter value in Coder's string form, or None for a TOML value that cannot be one."""
    # Coder's values are all strings; TOML authors may write numbers, booleans and lists bare.
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return json.dumps(raw)
    return None


def describe(value: object) -> str:
    """The TOML type of a value, for messages: ``an integer``, ``a table``…"""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), "a date or time")


def _dotted(path: KeyPath) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else f".{key}"
    return text.lstrip(".")


def diagnostic(file: Path, lines: list[str], problem: Problem) -> TemplateDiagnostic:
    """The diagnostic for a problem, located in ``lines`` (the file's text) when possible."""
    path, message, severity = problem
    where = _locate(lines, path) if path else None
    return TemplateDiagnostic(
        path=str(file),
        message=f"{_dotted(path)}: {message}" if path else message,
        line=where[0] if where else None,
        column=where[1] if where else None,
        severity=severity,
    )


def syntax_diagnostic(file: Path, text: str, exc: tomllib.TOMLDecodeError) -> TemplateDiagnostic:
    """The diagnostic for a file that is not valid TOML."""
    # Python 3.11's TOMLDecodeError has no position attributes, only this message suffix.
    message = str(exc)
    match = _SYNTAX_AT.search(message)
    line = column = None
    if match:
        message = message[: match.start()]
        line = int(match.group(1)) if match.group(1) else max(1, len(text.splitlines()))
        column = int(match.group(2)) if match.group(2) else None
    message = f"TOML syntax error: {message}"
    return TemplateDiagnostic(
        path=str(file), message=message, line=line, column=column, severity="error"
    )


def _locate(lines: list[str], path: KeyPath) -> tuple[int, int] | None:
    """Best-effort (line, column) of a key path, from 1, for the editor's squiggle.

    Follows ``[table]`` and ``[[array]]`` headers, then ``key =`` lines; a key inside an
    inline table or array resolves to the line of the key that holds it.
    """
    start, stop, table, found = 0, len(lines), "", None
    for key in path:
        if isinstance(key, int):
            heads = [i for i in range(start, stop) if _header(lines[i]) == ("[[", table)]
            if key >= len(heads):
                break
            start, stop, found = heads[key], _block_end(lines, heads[key], stop, table), heads[key]
            continue
        name = f"{table}.{key}" if table else key
        head = next((i for i in range(start, stop) if _header(lines[i])[1] == name), None)
        if head is not None:
            # An array's entries are picked by the next (integer) key, so keep them all.
            array = _header(lines[head])[0] == "[["
            start, stop = head, stop if array else _block_end(lines, head, stop, name)
            table, found = name, head
            continue
        # [workspace.resources] defines the table workspace without a header of its own.
        sub = next(
            (i for i in range(start, stop) if _header(lines[i])[1].startswith(name + ".")), None
        )
        if sub is not None:
            start, table, found = sub, name, sub
            continue
        # The table's own keys: after its header (the root has none) and before the next one.
        first = 0 if found is None else start + bool(_header(lines[start])[1])
        own_end = next((i for i in range(first, stop) if _header(lines[i])[1]), stop)
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        line = next((i for i in range(first, own_end) if pattern.match(lines[i])), None)
        if line is None:
            break
        start, stop, found = line, line + 1, line
    if found is None:
        return None
    return found + 1, len(lines[found]) - len(lines[found].lstrip()) + 1


def _header(line: str) -> tuple[str, str]:
    """``("[[", "parameters")`` for ``[[parameters]]``; ``("", "")`` for any other line."""
    match = _HEADER.match(line)
    if match is None:
        return "", ""
    return match.group(1), ".".join(part.strip() for part in match.group(2).split("."))


def _block_end(lines: list[str], head: int, stop: int, table: str) -> int:
    """The line after a table's block: the next header that is not one of its sub-tables."""
    for i in range(head + 1, stop):
        name = _header(lines[i])[1]
        if name and not name.startswith(table + "."):
            return i
    return stop
