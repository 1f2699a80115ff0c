"""Every ``taskyard`` verb's arguments, in one argparse tree that imports nothing heavy.

Handlers are named as ``module:function`` strings and imported only once the arguments parse
(:func:`taskyard.cli.runtime.run`), so ``--help`` and usage errors answer at once instead of
loading the task engine first. Usage errors print the verb's usage line and
``taskyard: error: <message>`` and exit with 2, as argparse does.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from taskyard.cli.output import PROG
from taskyard.lifecycle import TaskStatus

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

STATUSES = tuple(status.value for status in TaskStatus)
"""The wire's ``TaskStatus`` values (a unit test keeps them equal)."""
FORMATS = ("txt", "md", "jsonl")
"""The wire's ``LogFormat`` values (a unit test keeps them equal)."""

TASKS = "taskyard.cli.tasks"
ACTIONS = "taskyard.cli.task_actions"
TEMPLATES = "taskyard.cli.templates"
SECRETS = "taskyard.cli.secrets"
CODE = "taskyard.cli.code"


class CliParser(argparse.ArgumentParser):
    """argparse with the CLI's error line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\n")


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
    # vscode-languageclient adds --stdio for its stdio transport; stdio is the default anyway.
    srv.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    _task_verbs(group(sub, "task", "create and manage agent tasks", aliases=("tasks",)))
    _template_verbs(group(sub, "template", "list and inspect task templates", ("templates",)))
    _secret_verbs(group(sub, "secret", "store API keys for templates", aliases=("secrets",)))
    _workspace_verbs(group(sub, "workspace", "workspace providers and leftovers", ("workspaces",)))
    sub.add_parser("demo", help="a guided tour with the demo agent (demo --help for more)")
    return parser


# -- building blocks ---------------------------------------------------------------------------


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


def parameter(text: str) -> tuple[str, str]:
    """A ``-p NAME=VALUE`` argument as a pair; the value may itself contain ``=``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def group(sub: Any, name: str, help_text: str, aliases: tuple[str, ...] = ()) -> Any:
    """Add a noun (``task``, ``template``, ``secret``) whose verbs are required."""
    parser = sub.add_parser(name, aliases=list(aliases), help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_verb", metavar="VERB", required=True)


def command(
    verbs: Any,
    name: str,
    handler: str,
    help_text: str,
    *,
    aliases: tuple[str, ...] = (),
    watch: bool = False,
    long_output: bool = True,
) -> argparse.ArgumentParser:
    """Add a verb run by ``handler`` (``module:function``).

    ``watch`` makes the services follow bridges and other processes' changes: verbs that wait
    for a task to change need it.
    """
    parser: argparse.ArgumentParser = verbs.add_parser(
        name, aliases=list(aliases), help=help_text, description=help_text
    )
    parser.set_defaults(handler=handler, watch_services=watch)
    output_flag(parser, long=long_output)
    return parser


def _task_ref(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("task", help="task name or id")
    return parser


def _yes(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _stdin(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--stdin", action="store_true", help=f"read the {what} from stdin")


# -- verbs -------------------------------------------------------------------------------------


def _task_verbs(verbs: Any) -> None:
    create = command(
        verbs, "create", f"{TASKS}:create_cmd", "create a task and start its agent", watch=True
    )
    _create(create)
    ls = command(verbs, "list", f"{TASKS}:list_cmd", "list tasks, newest first", aliases=("ls",))
    ls.add_argument(
        "--status",
        action="append",
        default=[],
        help=f"only tasks with this status ({', '.join(STATUSES)}; repeatable or a,b)",
    )
    ls.add_argument("--template", help="only tasks of this template")
    ls.add_argument("-a", "--all", action="store_true", help="every task, not the newest 50")
    ls.add_argument("-q", "--quiet", action="store_true", help="print only task ids")
    status = command(
        verbs, "status", f"{TASKS}:status_cmd", "show a task's status", aliases=("stat",)
    )
    _task_ref(status).add_argument(
        "--watch", action="store_true", help="print each change until the agent stops working"
    )
    _task_action_verbs(verbs)
    _code_verbs(verbs)


def _task_action_verbs(verbs: Any) -> None:
    logs = command(
        verbs, "logs", f"{ACTIONS}:logs_cmd", "show or download a conversation", long_output=False
    )
    _logs(logs)
    _send(command(verbs, "send", f"{ACTIONS}:send_cmd", "send a message to the agent", watch=True))
    _task_ref(command(verbs, "interrupt", f"{ACTIONS}:interrupt_cmd", "interrupt the agent"))
    pause = command(verbs, "pause", f"{ACTIONS}:pause_cmd", "stop the workspace, keep its files")
    _yes(_task_ref(pause))
    resume = command(
        verbs, "resume", f"{ACTIONS}:resume_cmd", "start a paused task again", watch=True
    )
    _task_ref(resume).add_argument(
        "--no-wait", action="store_true", help="return once the workspace runs"
    )
    delete = command(
        verbs,
        "delete",
        f"{ACTIONS}:delete_cmd",
        "delete tasks and their workspaces",
        aliases=("rm",),
    )
    delete.add_argument("tasks", nargs="+", metavar="TASK", help="task names or ids")
    delete.add_argument(
        "--keep-work",
        action="store_true",
        help="keep each task's work folder on this machine (the output says where)",
    )
    _yes(delete)
    _task_ref(command(verbs, "screen", f"{ACTIONS}:screen_cmd", "print the agent's terminal"))


def _code_verbs(verbs: Any) -> None:
    diff = command(
        verbs, "diff", f"{CODE}:diff_cmd", "print a task's work as a git patch", long_output=False
    )
    _task_ref(diff)
    diff.add_argument(
        "--output", dest="output_file", metavar="FILE", help="save the patch to FILE ('-': stdout)"
    )
    diff.add_argument("--stat", action="store_true", help="list the changed files instead")
    export = command(
        verbs,
        "export-branch",
        f"{CODE}:export_branch_cmd",
        "commit a task's work on a new branch of this repository",
    )
    _task_ref(export).add_argument("branch", help="name of the new branch")
    export.add_argument("-m", "--message", help="commit message (default: the task's display name)")


def _create(create: argparse.ArgumentParser) -> None:
    create.add_argument("prompt", nargs="?", help="what the agent should do")
    create.add_argument("--template", required=True, help="template name (see `template list`)")
    presets = create.add_mutually_exclusive_group()
    presets.add_argument("--preset", help="template preset (default: the template's default)")
    presets.add_argument(
        "--no-preset", action="store_true", help="apply no preset, not even the default one"
    )
    create.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        type=parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter value (repeatable)",
    )
    create.add_argument("--name", help="task name (default: generated from the prompt)")
    create.add_argument("--display-name", help="display name (default: from the name)")
    _stdin(create, "prompt")
    create.add_argument("-q", "--quiet", action="store_true", help="print only the task id")


def _logs(logs: argparse.ArgumentParser) -> None:
    _task_ref(logs)
    logs.add_argument("--format", choices=FORMATS, help="download the logs in this format")
    logs.add_argument(
        "--output", dest="output_file", metavar="FILE", help="where to save them ('-': stdout)"
    )


def _send(send: argparse.ArgumentParser) -> None:
    _task_ref(send)
    send.add_argument("input", nargs="?", help="the message")
    _stdin(send, "message")
    send.add_argument("--queue", action="store_true", help="if the agent is busy, queue it")


def _template_verbs(verbs: Any) -> None:
    command(verbs, "list", f"{TEMPLATES}:list_cmd", "list templates", aliases=("ls",))
    show = command(verbs, "show", f"{TEMPLATES}:show_cmd", "show parameters and presets")
    show.add_argument("name", help="template name")


def _secret_verbs(verbs: Any) -> None:
    set_ = command(verbs, "set", f"{SECRETS}:set_cmd", "store a secret in the OS keyring")
    set_.add_argument("name", help="secret name, e.g. anthropic-api-key")
    _stdin(set_, "value")
    command(verbs, "list", f"{SECRETS}:list_cmd", "list secret names", aliases=("ls",))
    delete = command(verbs, "delete", f"{SECRETS}:delete_cmd", "remove a secret", aliases=("rm",))
    delete.add_argument("name", help="secret name")


def _workspace_verbs(verbs: Any) -> None:
    module = "taskyard.cli.workspaces"
    command(verbs, "providers", f"{module}:providers_cmd", "where tasks can run (is Docker up?)")
    orphans = command(
        verbs,
        "orphans",
        f"{module}:orphans_cmd",
        "list (or --remove) Docker containers and volumes that no task owns",
    )
    orphans.add_argument("--remove", action="store_true", help="remove them")
    _yes(orphans)
