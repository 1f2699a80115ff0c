"""The secret store: API keys and tokens that templates hand to workspaces, and their masking.

Secrets live in the OS keyring under the service ``taskyard``, one entry per secret name. On
machines without a keyring (headless servers, CI) the environment is the fallback:
``TASKYARD_SECRET_<NAME>`` (upper case, ``-`` → ``_``) and, for a few well-known names, the
variable the vendors' own tools read (``ANTHROPIC_API_KEY``, …). Secret names are
case-insensitive and treat ``_`` like ``-``, so a template's ``ANTHROPIC_API_KEY`` and the CLI's
``anthropic-api-key`` are the same secret.

Every value the store hands out is added to its :class:`Redactor`, which masks it in logs,
messages and exports. Values themselves are never logged and never appear in error messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from keyring.errors import KeyringError, PasswordDeleteError

from taskyard.errors import TaskyardError

__all__ = [
    "KEYRING_SERVICE",
    "MASK",
    "MIN_SECRET_LENGTH",
    "WELL_KNOWN_ENV",
    "EnvSpec",
    "KeyringBackend",
    "KeyringUnavailable",
    "Redactor",
    "SecretMissingError",
    "SecretStore",
    "SecretStoreError",
    "canonical_name",
    "env_var_for",
]

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "taskyard"
MASK = "••••••"
MIN_SECRET_LENGTH = 6
WELL_KNOWN_ENV: Mapping[str, str] = {
    "anthropic-api-key": "ANTHROPIC_API_KEY",
    "openai-api-key": "OPENAI_API_KEY",
    "gemini-api-key": "GEMINI_API_KEY",
}
"""Secrets that vendor tools already read from the environment under their own names."""

_ENV_PREFIX = "TASKYARD_SECRET_"
# The index key cannot collide with a secret: canonical names never contain a dot.
_INDEX_KEY = ".index"
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
# Up to this many values, substring tests find "no secret here" faster than the regex.
_PROBE_LIMIT = 8

EnvSpec = tuple[str, str | None, str | bool | None]
"""One workspace variable: (variable name, literal value, secret). ``secret`` is a secret name,
or ``True`` for the secret named like the variable (the wire's ``EnvVar.secret``)."""


class KeyringBackend(Protocol):
    """What the store needs of a keyring: the ``keyring`` module and its backends fit."""

    def get_password(self, service: str, username: str, /) -> str | None: ...

    def set_password(self, service: str, username: str, password: str, /) -> None: ...

    def delete_password(self, service: str, username: str, /) -> None: ...


class SecretStoreError(Exception):
    """Root of the secret store's errors; messages never contain a secret value."""


class SecretMissingError(TaskyardError):
    """A secret is neither in the keyring nor in the environment."""

    kind = "secretMissing"

    def __init__(self, name: str, detail: str | None = None) -> None:
        self.secret = _canonical_or_raw(name)
        """The secret's canonical name (``ErrorData.secret`` on the wire)."""
        self.env_vars = _env_candidates(self.secret)
        """The environment variables that would provide it."""
        how = " or ".join(self.env_vars)
        message = (
            f"Secret '{self.secret}' is not set: run `taskyard secret set {self.secret}` "
            f"or set the environment variable {how}"
        )
        super().__init__(f"{message} ({detail})" if detail else message, secret=self.secret)


class KeyringUnavailable(SecretStoreError):
    """The OS keyring refused a write or delete (none installed, locked, …)."""

    def __init__(self, name: str, error: BaseException) -> None:
        self.secret = _canonical_or_raw(name)
        how = " or ".join(_env_candidates(self.secret))
        super().__init__(
            f"The OS keyring is unavailable ({type(error).__name__}); "
            f"set the environment variable {how} instead"
        )


def canonical_name(name: str) -> str:
    """The stored form of a secret name: lower case, ``_`` → ``-``; ValueError if invalid."""
    canonical = name.strip().lower().replace("_", "-")
    if not _NAME.match(canonical):
        raise ValueError(f"invalid secret name {name!r}: use letters, digits, '-' and '_'")
    return canonical


def env_var_for(name: str) -> str:
    """The ``TASKYARD_SECRET_*`` variable that provides a secret without a keyring."""
    return _ENV_PREFIX + canonical_name(name).upper().replace("-", "_")


def _canonical_or_raw(name: str) -> str:
    # Errors must construct whatever name they are given.
    try:
        return canonical_name(name)
    except ValueError:
        return name


def _env_candidates(canonical: str) -> list[str]:
    candidates = [_ENV_PREFIX + canonical.upper().replace("-", "_")]
    if canonical in WELL_KNOWN_ENV:
        candidates.append(WELL_KNOWN_ENV[canonical])
    return candidates


class Redactor:
    """Masks every known secret value in a text with one precompiled regular expression.

    One alternation of escaped values scans a long text once, whatever the number of secrets.
    It is rebuilt when the values change, lazily, so adding many values compiles it once.
    Values shorter than ``MIN_SECRET_LENGTH`` are ignored: masking "yes" or "1234" would
    garble ordinary text without protecting anything.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._probe: tuple[str, ...] = ()
        self._stale = False
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Start masking ``value`` (a no-op for short or known values)."""
        if len(value) >= MIN_SECRET_LENGTH and value not in self._values:
            self._values.add(value)
            self._stale = True

    def redact(self, text: str) -> str:
        """``text`` with every known secret replaced by ``MASK``."""
        pattern = self._compiled()
        if pattern is None:
            return text
        # Most texts hold no secret. For a few values, substring tests prove it several times
        # faster than a regex scan, which cannot skip ahead when the values share no prefix.
        probe = self._probe
        if probe and not any(value in text for value in probe):
            return text
        return pattern.sub(MASK, text)

    __call__ = redact

    def __len__(self) -> int:
        return len(self._values)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._stale:
            # Clear the flag first: a value added while compiling marks it stale again. Two
            # threads racing here only compile the same pattern twice.
            self._stale = False
            # Longest first: the regex takes the first alternative that matches, so a secret
            # that contains another is masked whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)))
            self._probe = tuple(ordered) if len(ordered) <= _PROBE_LIMIT else ()
        return self._pattern


class SecretStore:
    """Reads and writes secrets in the OS keyring, falling back to the environment.

    Parameters
    ----------
    backend:
        A keyring-like object; the ``keyring`` module (the user's default keyring) if omitted.
    env:
        The environment to fall back on; ``os.environ`` if omitted.
    redactor:
        Receives every value the store reads or writes; a new one if omitted.
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        env: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        if backend is None:
            import keyring

            backend = keyring
        self._backend = backend
        self._env = os.environ if env is None else env
        self.redactor = redactor if redactor is not None else Redactor()
        """Masks every secret this store has handed out or stored."""
        self._index_lock = asyncio.Lock()

    async def get(self, name: str) -> str:
        """The secret's value; raises :class:`SecretMissingError` if neither source has it."""
        canonical = canonical_name(name)
        value, keyring_error = await self._from_keyring(canonical)
        if value is None:
            value = self._from_env(canonical)
        if value is None:
            raise SecretMissingError(canonical, keyring_error)
        self.redactor.add(value)
        return value

    async def get_optional(self, name: str) -> str | None:
        """The secret's value, or None if it is not set (e.g. for optional features)."""
        try:
            return await self.get(name)
        except SecretMissingError:
            return None

    async def set(self, name: str, value: str) -> None:
        """Store a secret in the keyring; raises :class:`KeyringUnavailable` without one."""
        canonical = canonical_name(name)
        if not value:
            raise ValueError(f"secret '{canonical}' cannot be empty")
        self.redactor.add(value)
        try:
            # Keyrings block on D-Bus or OS APIs, hence the thread.
            await asyncio.to_thread(self._backend.set_password, KEYRING_SERVICE, canonical, value)
        except KeyringError as exc:
            raise KeyringUnavailable(canonical, exc) from exc
        await self._update_index(canonical, present=True)

    async def delete(self, name: str) -> bool:
        """Remove a secret from the keyring; False if it was not there.

        Environment variables are not the store's to change, so a secret they provide remains.
        """
        canonical = canonical_name(name)
        try:
            await asyncio.to_thread(self._backend.delete_password, KEYRING_SERVICE, canonical)
        except PasswordDeleteError:  # keyring's way of saying "no such entry"
            deleted = False
        except KeyringError as exc:
            raise KeyringUnavailable(canonical, exc) from exc
        else:
            deleted = True
        await self._update_index(canonical, present=False)
        return deleted

    async def names(self) -> list[str]:
        """Names of the secrets set: the keyring's (from the store's index) and the environment's.

        Keyrings cannot list their entries in general, so :meth:`set` and :meth:`delete` keep
        an index of names under a reserved entry.
        """
        stored: frozenset[str] = frozenset()
        try:
            stored = await self._read_index()
        except Exception as exc:  # no keyring: the environment is all there is
            logger.debug("secret index unreadable: %s", type(exc).__name__)
        return sorted(stored | self._env_names())

    async def resolve_env(self, env_spec: Iterable[EnvSpec]) -> dict[str, str]:
        """A workspace's environment with secret references replaced by their values.

        Raises :class:`SecretMissingError` for the first secret that is not set, so a task fails
        before its workspace starts rather than with an agent that cannot authenticate.
        """
        resolved: dict[str, str] = {}
        for var, value, secret in env_spec:
            if secret:
                resolved[var] = await self.get(var if secret is True else str(secret))
            elif value is not None:
                resolved[var] = value
            else:
                raise ValueError(f"environment variable {var} has neither a value nor a secret")
        return resolved

    async def _from_keyring(self, canonical: str) -> tuple[str | None, str | None]:
        """(value, None), or (None, why the keyring could not answer)."""
        try:
            value = await asyncio.to_thread(self._backend.get_password, KEYRING_SERVICE, canonical)
        except Exception as exc:  # any keyring failure leaves the environment to answer
            logger.debug("keyring read of secret %r failed: %s", canonical, type(exc).__name__)
            return None, f"OS keyring unavailable: {type(exc).__name__}"
        return value or None, None

    def _from_env(self, canonical: str) -> str | None:
        for var in _env_candidates(canonical):
            if value := self._env.get(var):
                return value
        return None

    def _env_names(self) -> frozenset[str]:
        names = [n for n, var in WELL_KNOWN_ENV.items() if self._env.get(var)]
        for var, value in self._env.items():
            if var.startswith(_ENV_PREFIX) and value:
                try:
                    names.append(canonical_name(var.removeprefix(_ENV_PREFIX)))
                except ValueError:
                    continue
        return frozenset(names)

    async def _read_index(self) -> frozenset[str]:
        raw = await asyncio.to_thread(self._backend.get_password, KEYRING_SERVICE, _INDEX_KEY)
        try:
            names = json.loads(raw) if raw else []
        except ValueError:
            logger.warning("secret index is corrupt; rebuilding it from scratch")
            return frozenset()
        return frozenset(n for n in names if isinstance(n, str))

    async def _update_index(self, canonical: str, *, present: bool) -> None:
        # The index only serves names(); the secret itself is already stored or gone, so a
        # failure here is logged rather than failing the caller's set or delete.
        try:
            await self._rewrite_index(canonical, present=present)
        except Exception as exc:
            logger.warning("secret index not updated for %r: %s", canonical, type(exc).__name__)

    async def _rewrite_index(self, canonical: str, *, present: bool) -> None:
        # Read-modify-write: the lock keeps two concurrent sets from dropping each other's name.
        async with self._index_lock:
            names = await self._read_index()
            if (canonical in names) == present:
                return
            names = names | {canonical} if present else names - {canonical}
            raw = json.dumps(sorted(names))
            await asyncio.to_thread(self._backend.set_password, KEYRING_SERVICE, _INDEX_KEY, raw)
