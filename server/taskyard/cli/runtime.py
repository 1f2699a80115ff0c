"""Runs one ``taskyard`` command in-process: services, logging, errors and exit codes.

The CLI does not talk to a running sidecar. It opens the same SQLite store and drives the same
bridges through :func:`taskyard.app.build_services`, so a task it starts keeps running after it
exits (bridges are detached processes) and the editor sees it at once. :func:`run` is the one
place that turns outcomes into exit codes:

    0    success
    1    a domain error (``taskyard: error: <message>``; JSON mode adds ``{"error": …}``)
    2    a usage error (argparse, or a flag combination the parser cannot express)
    130  interrupted with Ctrl-C
    141  stdout was closed early (``| head``), as for a process killed by SIGPIPE

Anything else is a bug: one line with a reference on stderr, the traceback in ``cli.log``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from taskyard.app import Services, build_services, data_dir
from taskyard.cli.events import Follower, settle
from taskyard.cli.output import Output
from taskyard.cli.parser import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE
from taskyard.errors import as_taskyard_error
from taskyard.services.secrets import SecretStore
from taskyard.services.templates import TemplateService, default_folders

log = logging.getLogger("taskyard.cli")

EXIT_BROKEN_PIPE = 141


class CliError(Exception):
    """An error the CLI itself raises (not a service's), with its kind and exit code."""

    def __init__(self, message: str, kind: str = "usage", exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.exit_code = exit_code


class Interrupted(Exception):
    """Ctrl-C while the CLI waited for the user's answer at a prompt."""


def usage_error(message: str) -> CliError:
    """A flag combination argparse cannot reject by itself; exits 2 like argparse does."""
    return CliError(message, "usage", EXIT_USAGE)


class Context:
    """What a command handler gets: its arguments, the output, and services opened on demand.

    Template and secret commands open only what they need; task commands open everything
    (store, catalog, secrets, task engine) and first let each running task's monitor catch up
    with its bridge, since no process recorded what the agents did while no CLI was running.
    """

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self.follower = Follower()
        self.interrupted_note = "interrupted"
        """What Ctrl-C leaves behind, said when it ends the command."""
        self._services: Services | None = None
        self._catalog: TemplateService | None = None

    @property
    def workspace(self) -> Path:
        return Path(getattr(self.args, "workspace", None) or Path.cwd())

    async def services(self) -> Services:
        if self._services is None:
            args = self.args
            watch = bool(getattr(args, "watch_services", False) or getattr(args, "watch", False))
            self._services = await build_services(
                self.follower, workspace=self.workspace, watch=watch
            )
            await settle(self._services, self.follower)
        return self._services

    async def catalog(self) -> TemplateService:
        if self._services is not None:
            return self._services.catalog
        if self._catalog is None:
            self._catalog = TemplateService(default_folders(self.workspace))
            await self._catalog.load()
        return self._catalog

    def secrets(self) -> SecretStore:
        return self._services.secrets if self._services is not None else SecretStore()

    async def close(self) -> None:
        if self._services is not None:
            await self._services.close()
        if self._catalog is not None:
            await self._catalog.close()


Handler = Callable[[Context], Awaitable[int]]


def run(args: argparse.Namespace) -> int:
    """Run the handler chosen by the parser and return the process exit code."""
    out = Output(args.output)
    log_file = setup_logging()
    ctx = Context(args, out)
    try:
        return asyncio.run(_run(resolve(args.handler), ctx))
    except (KeyboardInterrupt, Interrupted):
        out.note(ctx.interrupted_note)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stay quiet, and keep Python's exit-time flush of
        # stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except BaseException as exc:  # the last line of defence: no traceback ever reaches a user
        return report(exc, out, log_file)


def resolve(name: str) -> Handler:
    """The handler function named ``module:function`` by the parser."""
    module, _, function = name.partition(":")
    handler: Handler = getattr(importlib.import_module(module), function)
    return handler


async def _run(handler: Handler, ctx: Context) -> int:
    try:
        return await handler(ctx)
    finally:
        await ctx.close()


def report(exc: BaseException, out: Output, log_file: Path | None) -> int:
    """Print an error the user can act on, or a one-line pointer to the logged traceback."""
    if isinstance(exc, SystemExit):
        return int(exc.code or 0)
    if isinstance(exc, CliError):
        out.error(exc.message, exc.kind, None)
        return exc.exit_code
    err = as_taskyard_error(exc) if isinstance(exc, Exception) else None
    if err is not None:
        log.info("command failed: %s (%s)", err.message, err.kind)
        out.error(err.message, err.kind, err.code)
        return EXIT_ERROR
    ref = secrets.token_hex(4)
    log.error("unexpected error (ref %s)", ref, exc_info=exc)
    where = f"; details in {log_file}" if log_file else ""
    out.error(f"unexpected error (ref {ref}){where}", "internal", None)
    return EXIT_ERROR


def setup_logging() -> Path | None:
    """Log to ``cli.log`` in the data folder, never to the terminal; the file's path or None."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for noisy in ("watchfiles", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "cli.log", encoding="utf-8")
    except OSError:
        # An unwritable data folder must not break the command; the store reports it if needed.
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    log.info("taskyard %s", " ".join(sys.argv[1:]))
    return folder / "cli.log"


def read_stdin(what: str) -> str:
    """All of stdin (for ``--stdin``), without the final newline; refuses a terminal."""
    if sys.stdin is None or sys.stdin.isatty():
        raise usage_error(f"--stdin reads the {what} from a pipe, but stdin is a terminal")
    text = sys.stdin.read()
    return text[:-1] if text.endswith("\n") else text


def confirm(question: str, *, yes: bool, action: str) -> None:
    """Ask ``question`` on a terminal unless ``yes``; raise when declined or not on a TTY."""
    if yes:
        return
    if sys.stdin is None or not sys.stdin.isatty():
        raise CliError(
            f"refusing to {action} without confirmation: stdin is not a terminal; pass -y/--yes",
            "confirmationRequired",
        )
    answer = ask(lambda: input(f"{question} [y/N] ")).strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("cancelled", "cancelled")


def ask(prompt: Callable[[], str]) -> str:
    """Run a blocking terminal prompt so that Ctrl-C ends it at once.

    asyncio's own SIGINT handler only cancels the main task, which a blocking ``input`` never
    notices; the default handler raises in the prompt itself.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return prompt()
    except EOFError:  # Ctrl-D answers "no"
        return ""
    except KeyboardInterrupt:
        raise Interrupted from None
    finally:
        signal.signal(signal.SIGINT, previous)
