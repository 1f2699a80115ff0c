"""Argument parsing shared by every ``taskyard`` verb: the parser class and common flags.

Usage errors print the verb's usage line and ``taskyard: error: <message>`` and exit with 2, as
argparse does, so that every error the CLI prints starts the same way.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from taskyard.cli_output import PROG
from taskyard.cli_runtime import EXIT_USAGE, Handler


class CliParser(argparse.ArgumentParser):
    """argparse with the CLI's error line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\n")


def output_flag(parser: argparse.ArgumentParser, *, top: bool = False, long: bool = True) -> None:
    """``-o table|json``; a verb's flag only overrides the top-level one when given.

    ``long=False`` leaves ``--output`` free for a verb that writes a file (``task logs``).
    """
    flags = ("-o", "--output") if long else ("-o",)
    parser.add_argument(
        *flags,
        dest="output",
        choices=("table", "json"),
        default="table" if top else argparse.SUPPRESS,
        help="output format: aligned table for people (default) or the wire JSON",
    )


def yes_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def parameter(text: str) -> tuple[str, str]:
    """A ``-p NAME=VALUE`` argument as a pair; the value may itself contain ``=``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def command(
    sub: Any,
    name: str,
    handler: Handler,
    help_text: str,
    *,
    aliases: tuple[str, ...] = (),
    watch_services: bool = False,
    output: bool = True,
    long_output: bool = True,
) -> argparse.ArgumentParser:
    """Add a verb that runs ``handler``; ``watch_services`` follows bridges and other processes."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, aliases=list(aliases), help=help_text, description=help_text
    )
    parser.set_defaults(handler=handler, watch_services=watch_services)
    if output:
        output_flag(parser, long=long_output)
    return parser


def group(sub: Any, name: str, help_text: str, *, aliases: tuple[str, ...] = ()) -> Any:
    """Add a noun (``task``, ``template``, ``secret``) whose verbs are required."""
    parser = sub.add_parser(name, aliases=list(aliases), help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_verb", metavar="VERB", required=True)
