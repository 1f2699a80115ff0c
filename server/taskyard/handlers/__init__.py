"""The JSON-RPC handlers: a few lines each, translating between the wire and the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskyard.server import TaskyardServer


def register(server: TaskyardServer) -> None:
    """Register every ``taskyard/*`` method on the server."""
    from . import code, tasks, templates
    from . import server as server_info

    for module in (templates, tasks, code, server_info):
        for name, handler in module.HANDLERS.items():
            server.feature(name)(handler)
