"""``taskyard``: the command line (``serve`` starts the sidecar over stdio).

Every other verb works in-process on the same task store and bridges as the sidecar (see
:mod:`taskyard.cli_runtime`): ``task`` (:mod:`taskyard.cli_tasks`,
:mod:`taskyard.cli_task_actions`), ``template`` (:mod:`taskyard.cli_templates`), ``secret``
(:mod:`taskyard.cli_secrets`) and ``demo`` (:mod:`taskyard.demo`, a guided tour).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from taskyard import cli_secrets, cli_tasks, cli_templates
from taskyard.cli_args import CliParser, output_flag
from taskyard.cli_output import PROG
from taskyard.cli_runtime import EXIT_ERROR, run


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


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog=PROG, description="Run coding agents as background tasks.")
    output_flag(parser, top=True)
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help="the project folder: its git repository and .taskyard/templates (default: cwd)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    srv = sub.add_parser("serve", help="run the sidecar (JSON-RPC over stdio)")
    srv.add_argument("--tcp", type=int, metavar="PORT", help="listen on 127.0.0.1:PORT instead")
    cli_tasks.register(sub)
    cli_templates.register(sub)
    cli_secrets.register(sub)
    sub.add_parser("demo", help="a guided tour with the demo agent (demo --help for more)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The demo parses its own arguments, including --help.
    if argv[:1] == ["demo"]:
        return demo(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
