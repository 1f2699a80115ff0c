"""``taskyard-bridge``: the command line, a drop-in for ``agentapi server``.

``taskyard-bridge server --type claude --port 3284 [--term-width N] [--term-height N]
[--state-file F] [--initial-prompt TEXT] -- claude ...``. Every flag can also come from the
environment as ``TASKYARD_BRIDGE_<FLAG>`` (``TASKYARD_BRIDGE_TERM_WIDTH=120``). The access token
comes from ``TASKYARD_BRIDGE_TOKEN`` or ``--token-file``, never from the command line, where any
user of the machine could read it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence

from . import hooks
from .adapters import get_adapter, known_types
from .api import build_router, host_check, token_check
from .config import DEFAULT_HOSTS, BridgeConfig
from .httpserver import HttpServer
from .redact import RedactingFilter, Redactor, secret_values
from .supervisor import Bridge

log = logging.getLogger("taskyard.bridge")
ENV_PREFIX = "TASKYARD_BRIDGE_"


class UsageError(Exception):
    """Bad command line or environment; printed without a traceback, exit code 2."""


def _env_default(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"), default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskyard-bridge", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("server", help="supervise an agent and serve the agentapi protocol")
    flag = srv.add_argument
    flag(
        "-t",
        "--type",
        default=_env_default("type"),
        help=f"agent type: {', '.join(sorted(known_types()))}",
    )
    flag("-p", "--port", type=int, default=int(_env_default("port", "3284") or 3284))
    flag("--host", default=_env_default("host", "127.0.0.1"), help="address to listen on")
    flag("-W", "--term-width", type=int, default=int(_env_default("term-width", "100") or 100))
    flag("-H", "--term-height", type=int, default=int(_env_default("term-height", "40") or 40))
    flag("-s", "--state-file", default=_env_default("state-file"))
    flag("-I", "--initial-prompt", default=_env_default("initial-prompt", ""))
    flag("--token-file", default=_env_default("token-file"))
    flag(
        "-a",
        "--allowed-hosts",
        default=_env_default("allowed-hosts"),
        help="Host-header allowlist, comma or space separated; * allows all",
    )
    flag("--workdir", default=_env_default("workdir"), help="the agent's working folder")
    flag(
        "--runtime-dir",
        default=_env_default("runtime-dir"),
        help="private folder for hooks, uploads and the token (default: beside the state file)",
    )
    flag(
        "--session-id",
        default=_env_default("session-id", ""),
        help="the agent session to create or resume (default: kept in the state file)",
    )
    flag(
        "--stability-window", type=float, default=float(_env_default("stability-window", "0") or 0)
    )
    flag(
        "--idle-timeout",
        type=float,
        default=float(_env_default("idle-timeout", "0") or 0),
        help="seconds the agent may sit idle before the bridge saves its state and exits",
    )
    flag(
        "--submit-timeout",
        type=float,
        default=float(_env_default("submit-timeout", "15") or 15),
        help="seconds a typed message may take to be taken by the agent",
    )
    flag("--max-upload", type=int, default=int(_env_default("max-upload", str(10 << 20)) or 0))
    flag(
        "--ready-file",
        default=_env_default("ready-file"),
        help="write {port, pid} here once serving (for supervisors using --port 0)",
    )
    flag("--log-file", default=_env_default("log-file"))
    flag("agent", nargs=argparse.REMAINDER, help="-- the agent command and its arguments")
    demo = sub.add_parser("demo-agent", help="run the built-in demo agent in this terminal")
    demo.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("print-openapi", help="print the OpenAPI document and exit")
    return parser


def make_config(ns: argparse.Namespace) -> BridgeConfig:
    if not ns.type:
        raise UsageError("--type is required (or TASKYARD_BRIDGE_TYPE)")
    get_adapter(ns.type)  # validates the name early, with the list of known types
    for name, value in (("--term-width", ns.term_width), ("--term-height", ns.term_height)):
        if value < 10:
            raise UsageError(f"{name} must be at least 10")
    argv = list(ns.agent)
    if argv and argv[0] == "--":
        argv = argv[1:]
    state_file = os.path.abspath(ns.state_file) if ns.state_file else None
    runtime = ns.runtime_dir or (
        os.path.join(os.path.dirname(state_file), "bridge")
        if state_file
        else tempfile.mkdtemp(prefix="taskyard-bridge-")
    )
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != ENV_PREFIX + "TOKEN"}
    hosts = (ns.allowed_hosts or "").replace(",", " ").split() or list(DEFAULT_HOSTS)
    return BridgeConfig(
        agent_type=ns.type,
        argv=argv,
        token=_read_token(ns.token_file, runtime),
        host=ns.host,
        port=ns.port,
        columns=ns.term_width,
        rows=ns.term_height,
        state_file=state_file,
        initial_prompt=ns.initial_prompt or "",
        session_id=ns.session_id,
        workdir=os.path.abspath(ns.workdir or os.getcwd()),
        runtime_dir=os.path.abspath(runtime),
        allowed_hosts=hosts,
        max_upload=ns.max_upload,
        window=ns.stability_window,
        idle_timeout=max(0.0, ns.idle_timeout),
        submit_timeout=max(1.0, ns.submit_timeout),
        agent_env=env,
    )


def _read_token(token_file: str | None, runtime: str) -> str:
    if token_file:
        try:
            with open(token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise UsageError(f"cannot read --token-file {token_file}: {exc.strerror}") from None
        if not token:
            raise UsageError(f"--token-file {token_file} is empty")
        return token
    token = os.environ.get(ENV_PREFIX + "TOKEN", "").strip()
    if token:
        return token
    # No token given: make one only the owner can read, so the API is never left open.
    import secrets

    token = secrets.token_urlsafe(32)
    path = os.path.join(runtime, "token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    log.warning("no token given: generated one in %s", path)
    return token


def _setup_logging(log_file: str | None, redactor: Redactor) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


async def serve(config: BridgeConfig, redactor: Redactor) -> int:
    """Run the bridge until a signal or ``/taskyard/shutdown`` stops it."""
    adapter = get_adapter(config.agent_type)
    script = hooks.install_script(config.runtime_dir)
    stop = asyncio.Event()
    bridge = Bridge(config, adapter, hooks.hook_command(script), redactor, request_stop=stop.set)
    server = HttpServer(
        build_router(bridge, stop.set),
        host=config.host,
        port=config.port,
        middleware=[
            host_check(config.allowed_hosts),
            token_check(config.token, lambda: bridge.signal_token),
        ],
        max_body=config.max_upload + (1 << 20),
        log=logging.getLogger("taskyard.bridge.http"),
    )
    try:
        await server.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    redactor.add([bridge.signal_token])
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, bridge.save_now)
    try:
        await bridge.start(f"http://127.0.0.1:{server.port}")
    except (OSError, ValueError) as exc:
        await server.close()
        raise UsageError(f"cannot start the agent: {exc}") from None
    log.info("serving %s agent on http://%s:%d", adapter.name, config.host, server.port)
    if config.ready_file:
        hooks.write_json(config.ready_file, {"port": server.port, "pid": os.getpid()})
    await stop.wait()
    log.info("shutting down")
    await bridge.close()
    await server.close()
    return 0


def main(argv: Sequence[str] | None = None, self_argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "demo-agent":
        from .demo_agent import main as demo_main

        return demo_main(args[1:])
    ns = build_parser().parse_args(args)
    if ns.command == "print-openapi":
        from .openapi import openapi_document

        print(json.dumps(openapi_document(), indent=2))
        return 0
    if self_argv:
        from .adapters import demo

        demo.SELF_ARGV[:] = self_argv
    redactor = Redactor()
    _setup_logging(ns.log_file, redactor)
    try:
        config = make_config(ns)
        config.ready_file = ns.ready_file
        redactor.add(secret_values(config.agent_env, [config.token]))
        return asyncio.run(serve(config, redactor))
    except (UsageError, ValueError) as exc:
        print(f"taskyard-bridge: error: {exc}", file=sys.stderr)
        return 2
