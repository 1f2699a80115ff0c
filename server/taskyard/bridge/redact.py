"""Keeps secrets out of everything the bridge says: logs, messages, errors, events.

The secrets are the bridge's own token and the values of the agent's environment variables
whose names mark them as secret (``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, plus
any named in ``TASKYARD_SECRET_ENV``). Short values are skipped: masking "1" or "yes" would
garble ordinary text without protecting anything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

MASK = "••••••"
MIN_LENGTH = 8
_SECRET_NAME = re.compile(r"(_KEY$|KEY_|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    named = {n.strip() for n in env.get("TASKYARD_SECRET_ENV", "").split(",") if n.strip()}
    values = [v for k, v in env.items() if _SECRET_NAME.search(k) or k in named]
    values.extend(extra)
    # Longest first, so a secret that contains another is masked whole.
    return sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)


class Redactor:
    """Replaces every known secret value in a text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: list[str] = []
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        merged = set(self._values) | {v for v in values if len(v) >= MIN_LENGTH}
        self._values = sorted(merged, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it passes."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = ()
        return True
