"""A finished command run, as the CLI suites see it (exit code, stdout, stderr)."""

from __future__ import annotations

import json
from typing import Any

import attrs


@attrs.frozen
class Result:
    """One finished run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_line(self) -> str:
        lines = self.err.strip().splitlines()
        return lines[-1] if lines else ""
