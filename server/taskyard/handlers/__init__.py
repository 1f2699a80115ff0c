"""The JSON-RPC handlers: a few lines each, translating between the wire and the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskyard.server import TaskyardServer


def register(server: TaskyardServer) -> None:
    """Register every ``taskyard/*`` method on the server."""
    from . import tasks, templates

    for module in (templates, tasks):
        for name, handler in module.HANDLERS.items():
            server.feature(name)(handler)
