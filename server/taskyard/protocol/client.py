"""A raw JSON-RPC client of the sidecar, shared by the demo, the benchmarks and the e2e tests.

A client of the sidecar wants Taskyard's messages exactly as they are on the wire (the editor
sees plain JSON, and tests assert on it), while LSP's own messages (``initialize``,
``$/progress``, ...) keep their lsprotocol types. pygls picks a message's type from its method,
so :class:`RawProtocol` answers with the raw envelopes of :mod:`.envelopes` for every method
and notification of the protocol's tables: the params of a request or notification, and the
result of a request, stay plain JSON in both directions. A ``taskyard/*`` method in neither table
(a test of an unknown method) gets pygls's generic envelopes, whose params and result are just
as raw.

:func:`make_raw_client` builds a pygls ``LanguageClient`` on that protocol and the converter
that keeps :class:`~.envelopes.RawJson` as is, and can pass every ``taskyard/*`` notification
to a callback with the time it was read. A client of another pygls client class (pytest-lsp's
in the e2e tests) puts :class:`RawProtocol` in front of that class's own protocol, and uses
:func:`raw_converter` and :func:`record_notifications` the same way::

    class Protocol(RawProtocol, pytest_lsp.protocol.LanguageClientProtocol): ...

    client = pytest_lsp.LanguageClient(protocol_cls=Protocol, converter_factory=raw_converter)
    record_notifications(client, lambda at, method, params: ...)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import cattrs
from pygls.client import JsonRPCClient
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol

from taskyard import __version__
from taskyard.protocol import METHODS, NOTIFICATIONS

from .envelopes import RawNotification, RawRequest, RawResponse, make_converter

__all__ = [
    "NoteSink",
    "RawProtocol",
    "make_raw_client",
    "raw_converter",
    "record_notifications",
]

NoteSink = Callable[[float, str, Any], None]
"""``sink(at, method, params)``: ``at`` is ``time.perf_counter()`` when the client read it."""


class RawProtocol(LanguageServerProtocol):
    """LSP's messages typed, Taskyard's raw; see the module docstring.

    Cooperative: put it first among the bases to add the rule to another client protocol
    (``class P(RawProtocol, OtherProtocol)``), whose own message types then serve LSP.
    """

    # pygls wraps its own in functools.lru_cache, which mypy reads as another signature.
    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        if method in NOTIFICATIONS:
            return RawNotification
        if method in METHODS:
            return RawRequest
        return super().get_message_type(method)

    def get_result_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return RawResponse if method in METHODS else super().get_result_type(method)


def raw_converter() -> cattrs.Converter:
    """The client's converter: pygls's, keeping :class:`~.envelopes.RawJson` values as is."""
    converter: cattrs.Converter = make_converter()
    return converter


def record_notifications(
    client: JsonRPCClient, sink: NoteSink, methods: Iterable[str] = tuple(NOTIFICATIONS)
) -> None:
    """Hand each notification of ``methods`` (all of Taskyard's by default) to ``sink``.

    ``sink`` runs on the client's event loop the moment the message is read, with the time
    from :func:`time.perf_counter`, the method and the params as raw JSON.
    """
    for method in methods:

        def handler(params: Any, method: str = method) -> None:
            sink(time.perf_counter(), method, params)

        client.feature(method)(handler)


def make_raw_client(
    name: str = "taskyard-client",
    version: str = __version__,
    *,
    on_notification: NoteSink | None = None,
) -> LanguageClient:
    """A pygls language client whose Taskyard messages stay raw JSON (not yet started).

    With ``on_notification``, every ``taskyard/*`` notification goes to it (see
    :func:`record_notifications`). Start it with ``await client.start_io(*command)``, then
    ``initialize_async`` and ``initialized`` as any LSP client; send a Taskyard request with
    ``await client.protocol.send_request_async(method, params)``, which returns the raw result.
    """
    client = LanguageClient(
        name, version, protocol_cls=RawProtocol, converter_factory=raw_converter
    )
    if on_notification is not None:
        record_notifications(client, on_notification)
    return client
