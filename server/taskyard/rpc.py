"""The JSON-RPC boundary: params in, results out, errors mapped, all in one wrapper.

pygls's typed decoding answers nothing at all on bad params (see docs/CONTRIBUTING.md), so
every Taskyard method is registered with a loose envelope whose ``params`` stays raw JSON.
:func:`method` then validates the params against the contract (``-32602`` naming the field),
calls the handler with the services and the typed params, and turns the result back into wire
JSON. Domain errors become JSON-RPC
errors with their stable code and ``data.kind`` here, and only here; anything unexpected is
logged with its traceback and answered with a generic message (a traceback could hold secrets).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol.language_server import LanguageServerProtocol

from taskyard.errors import as_taskyard_error
from taskyard.protocol import METHODS, ParamsError, structure_params, unstructure
from taskyard.protocol.envelopes import RawRequest, WireJson

if TYPE_CHECKING:
    from taskyard.app import Services
    from taskyard.services.tasks import Progress

log = logging.getLogger(__name__)

P = TypeVar("P")


class Call:
    """What a handler may ask of the request itself: ``$/progress`` under the client's token."""

    def __init__(self, ls: Any, token: Any) -> None:
        self._ls = ls
        self._token = token

    def progress(self, title: str) -> Progress | None:
        """``$/progress`` for a long operation, when the client offered a work-done token."""
        if self._token is None:
            return None
        ls, token = self._ls, self._token
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=False)
        )

        def report(message: str, done: bool = False) -> None:
            if done:
                ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            else:
                ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

        return report


Handler = Callable[["Services", P, Call], Awaitable[Any]]
"""``handler(services, typed_params, call)``: one call into a service."""

REGISTRY: dict[str, Callable[[Any, Any], Awaitable[Any]]] = {}
"""Every ``taskyard/*`` method with its wrapped handler (filled by :func:`method`)."""


class TaskyardProtocol(LanguageServerProtocol):
    """LSP plus Taskyard's methods, whose params reach the handlers untouched."""

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        if method in METHODS:
            return RawRequest
        return super().get_message_type(method)


def _params_object(raw: Any) -> tuple[dict[str, Any], Any]:
    """The params as a dict, and the work-done token the client offered (LSP's convention)."""
    if raw is None:
        return {}, None
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(message="params must be an object")
    params = dict(raw)
    return params, params.pop("workDoneToken", None)


def method(name: str) -> Callable[[Handler[P]], Handler[P]]:
    """Register a handler ``(services, typed_params, call)`` as the JSON-RPC method ``name``."""

    def wrap(handler: Handler[P]) -> Handler[P]:
        async def run(ls: Any, raw: Any) -> Any:
            params, token = _params_object(raw)
            try:
                typed = structure_params(name, params)
            except ParamsError as exc:
                raise JsonRpcInvalidParams(message=exc.message) from None
            try:
                result = await handler(await ls.services(), typed, Call(ls, token))
            except JsonRpcException:
                raise
            except Exception as exc:
                raise to_rpc_error(exc) from None
            return WireJson(unstructure(result)) if attrs.has(type(result)) else result

        run.__name__ = handler.__name__
        REGISTRY[name] = run
        return handler

    return wrap


def to_rpc_error(exc: BaseException) -> JsonRpcException:
    """The JSON-RPC error for any exception a handler raised."""
    err = as_taskyard_error(exc)
    if err is not None:
        return JsonRpcException(
            message=err.message, code=err.code, data={"kind": err.kind, **err.data}
        )
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error (ref %s)", ref, exc_info=exc)
    return JsonRpcException(
        message=f"unexpected error (ref {ref}); see the Taskyard log",
        code=-32603,
        data={"kind": "internal"},
    )
