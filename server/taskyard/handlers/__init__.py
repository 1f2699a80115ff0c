"""The JSON-RPC handlers: a few lines each, translating between the wire and the services.

Each handler is ``(services, typed_params, call) -> result`` and registers itself with
:func:`taskyard.rpc.method`; :func:`register` puts every one on the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskyard.rpc import REGISTRY

if TYPE_CHECKING:
    from taskyard.server import TaskyardServer


def register(server: TaskyardServer) -> None:
    """Register every ``taskyard/*`` method on the server."""
    from . import code, server_info, tasks, templates  # noqa: F401  # their handlers register

    for name, handler in REGISTRY.items():
        server.feature(name)(handler)
