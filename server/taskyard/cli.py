"""``taskyard``: the command line (``serve`` starts the sidecar over stdio).

Every other verb works in-process on the same task store and bridges as the sidecar (see
:mod:`taskyard.cli_runtime`). Arguments: :mod:`taskyard.cli_parser`. Verbs: ``task``
(:mod:`taskyard.cli_tasks`, :mod:`taskyard.cli_task_actions`), ``template``
(:mod:`taskyard.cli_templates`), ``secret`` (:mod:`taskyard.cli_secrets`) and ``demo``
(:mod:`taskyard.demo`, a guided tour).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from taskyard.cli_output import PROG
from taskyard.cli_parser import EXIT_ERROR, EXIT_INTERRUPTED, build_parser


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
        module = importlib.import_module("taskyard.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "taskyard.demo":
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
        from taskyard.cli_runtime import run  # the task engine loads only for a verb that runs
    except KeyboardInterrupt:  # Ctrl-C this early has nothing to clean up
        return EXIT_INTERRUPTED
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
