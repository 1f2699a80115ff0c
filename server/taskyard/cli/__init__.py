"""The ``taskyard`` command line: verbs over the same services as the sidecar.

:mod:`.main` dispatches (``serve`` starts the sidecar over stdio), :mod:`.parser` holds the
arguments, :mod:`.runtime` runs one command in-process (services, errors, exit codes), and one
module per verb group does the work: :mod:`.tasks` and :mod:`.task_actions`, :mod:`.templates`,
:mod:`.secrets`, :mod:`.workspaces`, :mod:`.code`.
"""

from taskyard.cli.main import main

__all__ = ["main"]
