"""The JSON-RPC envelopes that keep Taskyard's params and results raw JSON, both ways.

pygls decodes a message into the type its method names; these envelopes leave ``params`` (and,
for clients, ``result``) exactly as received, so the sidecar validates params against the
contract itself (:mod:`taskyard.rpc`) and clients (the demo, the benchmarks, the tests, through
:mod:`.client`) see the wire as it is.
"""

from __future__ import annotations

from typing import Any

import attrs
from pygls.protocol import default_converter


class RawJson:
    """Marker type: the envelope keeps ``params`` exactly as received."""


@attrs.define
class RawRequest:
    id: int | str
    method: str
    jsonrpc: str
    params: RawJson | None = None


@attrs.define
class RawNotification:
    method: str
    jsonrpc: str
    params: RawJson | None = None


@attrs.define
class RawResponse:
    """For clients of the sidecar (tests, the demo): a response whose result stays raw JSON."""

    id: int | str
    jsonrpc: str
    result: RawJson | None = None


class WireJson(dict[str, Any]):
    """A result already in wire form; pygls must not walk it again (that doubled list time)."""


def make_converter() -> Any:
    converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook(RawJson, lambda obj, _: obj)
    converter.register_unstructure_hook(WireJson, lambda obj: obj)
    return converter
