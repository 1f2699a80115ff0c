"""``taskyard secret``: API keys and tokens for templates, kept in the OS keyring.

Values are read with ``getpass`` on a terminal (never echoed) or from a pipe with ``--stdin``,
never from the command line, where they would land in the shell history. Without an OS keyring
(headless machines, CI) the store cannot write; the CLI then names the environment variable
that provides the secret instead.
"""

from __future__ import annotations

import getpass
import os
import sys

from taskyard.cli.runtime import CliError, Context, ask, read_stdin, usage_error
from taskyard.services.secrets import (
    WELL_KNOWN_ENV,
    KeyringUnavailable,
    canonical_name,
    env_var_for,
)


def _name(raw: str) -> str:
    try:
        return canonical_name(raw)
    except ValueError as exc:
        raise CliError(str(exc), "invalidSecretName") from None


def _env_vars(name: str) -> list[str]:
    """The environment variables that provide a secret, in the store's order."""
    return [env_var_for(name), *([WELL_KNOWN_ENV[name]] if name in WELL_KNOWN_ENV else [])]


def _from_env(name: str) -> str | None:
    return next((var for var in _env_vars(name) if os.environ.get(var)), None)


async def set_cmd(ctx: Context) -> int:
    name = _name(ctx.args.name)
    value = _read_value(name, ctx.args.stdin)
    if not value:
        raise usage_error(f"the value of secret {name!r} is empty")
    try:
        await ctx.secrets().set(name, value)
    except KeyringUnavailable as exc:
        raise CliError(f"cannot store secret {name!r}: {exc}", "keyringUnavailable") from None
    _done(ctx, name, "set", f"Stored secret {name} in the OS keyring.")
    return 0


def _read_value(name: str, from_stdin: bool) -> str:
    if from_stdin:
        return read_stdin("secret's value").strip()
    if sys.stdin is None or not sys.stdin.isatty():
        raise usage_error(
            "stdin is not a terminal, so there is no way to type the value: pipe it with --stdin"
        )
    return ask(lambda: getpass.getpass(f"Value of {name}: ")).strip()


async def list_cmd(ctx: Context) -> int:
    names = await ctx.secrets().names()
    rows = [{"name": n, "source": _from_env(n) or "keyring"} for n in names]
    if ctx.out.json:
        ctx.out.data({"secrets": rows})
    elif not rows:
        ctx.out.note("No secrets are set.")
    else:
        ctx.out.table(("name", "source"), [[r["name"], r["source"]] for r in rows])
    return 0


async def delete_cmd(ctx: Context) -> int:
    name = _name(ctx.args.name)
    env_var = _from_env(name)
    try:
        deleted = await ctx.secrets().delete(name)
    except KeyringUnavailable:
        raise CliError(_no_keyring_delete(name, env_var), "keyringUnavailable") from None
    if not deleted:
        also = f"; it is still provided by the environment variable {env_var}" if env_var else ""
        raise CliError(f"secret {name!r} is not in the OS keyring{also}", "secretMissing")
    still = f" The environment variable {env_var} still provides it." if env_var else ""
    _done(ctx, name, "deleted", f"Deleted secret {name} from the OS keyring.{still}")
    return 0


def _no_keyring_delete(name: str, env_var: str | None) -> str:
    if env_var:
        return (
            f"the OS keyring is unavailable, so secret {name!r} comes from the environment "
            f"variable {env_var}: unset that variable to remove it"
        )
    return f"the OS keyring is unavailable and secret {name!r} is not set: nothing to delete"


def _done(ctx: Context, name: str, what: str, message: str) -> None:
    if ctx.out.json:
        ctx.out.data({"name": name, what: True})
    else:
        ctx.out.print(message)
