"""``taskyard``: the command line (``serve`` starts the sidecar over stdio).

Every other verb works in-process on the same task store and bridges as the sidecar (see
:mod:`taskyard.cli.runtime`). Arguments: :mod:`taskyard.cli.parser`. Verbs: ``task``
(:mod:`taskyard.cli.tasks`, :mod:`taskyard.cli.task_actions`), ``template``
(:mod:`taskyard.cli.templates`), ``secret`` (:mod:`taskyard.cli.secrets`) and ``demo``
(:mod:`taskyard.demo.main`, a guided tour).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from taskyard.cli.output import PROG
from taskyard.cli.parser import EXIT_ERROR, EXIT_INTERRUPTED, build_parser


def serve(args: argparse.Namespace) -> int:
    from taskyard.server import create_server

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    server = create_server()
    if args.tcp:
        server.start_tcp("127.0.0.1", args.tcp)
    else:
        server.start_io()
    return 0


def demo(argv: list[str]) -> int:
    """``taskyard demo …``: hand every argument to the demo's own command line."""
    try:
        module = importlib.import_module("taskyard.demo.main")
    except ModuleNotFoundError as exc:
        if exc.name != "taskyard.demo.main":
            raise
        print(f"{PROG}: error: the demo is not available in this installation", file=sys.stderr)
        return EXIT_ERROR
    return int(module.main(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The demo parses its own arguments, including --help.
    if argv[:1] == ["demo"]:
        return demo(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    try:
        from taskyard.cli.runtime import run  # the task engine loads only for a verb that runs
    except KeyboardInterrupt:  # Ctrl-C this early has nothing to clean up
        return EXIT_INTERRUPTED
    return run(args)
