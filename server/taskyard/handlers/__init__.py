"""The JSON-RPC handlers: a few lines each, translating between the wire and the services.

Each handler is ``(services, typed_params, call) -> result`` and registers itself with
:func:`taskyard.rpc.method`; :func:`register` puts every one on the server.
"""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from taskyard.rpc import REGISTRY


def register(server: LanguageServer) -> None:
    """Register every ``taskyard/*`` method on the server."""
    from . import code, server_info, tasks, templates  # noqa: F401  # their handlers register

    for name, handler in REGISTRY.items():
        server.feature(name)(handler)
