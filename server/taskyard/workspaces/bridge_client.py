"""The sidecar's client of one agent bridge: its HTTP API over httpx, events over SSE.

Every httpx failure is translated in one place (:func:`_translate`) into the small error tree
below, so callers never see transport exceptions::

    BridgeError (AgentFailureError)
     ├── BridgeUnavailable   the bridge does not answer (not started, gone, network)
     └── BridgeRejected      any other problem answer, with its status and detail
    AgentBusyError           the agent cannot take a user message now (HTTP 409)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from taskyard.errors import AgentBusyError, AgentFailureError


class BridgeError(AgentFailureError):
    """Something went wrong talking to a bridge."""


class BridgeUnavailable(BridgeError):
    """The bridge does not answer."""


class BridgeRejected(BridgeError):
    """The bridge answered with an error."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"bridge answered {status}: {detail}")
        self.status = status
        self.detail = detail


def _translate(exc: Exception) -> BridgeError | AgentBusyError:
    if isinstance(exc, httpx.HTTPStatusError):
        try:
            detail = str(exc.response.json().get("detail", ""))
        except (ValueError, AttributeError):
            detail = exc.response.text[:200]
        if exc.response.status_code == 409:
            return AgentBusyError(detail)
        return BridgeRejected(exc.response.status_code, detail)
    return BridgeUnavailable(f"the agent bridge does not answer ({type(exc).__name__})")


_SHARED: dict[int, httpx.AsyncClient] = {}


def shared_client() -> httpx.AsyncClient:
    """The process's client for bridges (one per event loop: httpx clients are loop-bound)."""
    import asyncio

    loop = id(asyncio.get_running_loop())
    client = _SHARED.get(loop)
    if client is None or client.is_closed:
        # No idle pooled connections: a loopback connect costs ~0.1 ms, and a pooled socket
        # would outlive a closed event loop (tests run one loop per test).
        client = httpx.AsyncClient(
            verify=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )
        _SHARED.clear()
        _SHARED[loop] = client
    return client


async def close_shared_client() -> None:
    """Close this loop's shared client (when the services shut down)."""
    import asyncio

    client = _SHARED.pop(id(asyncio.get_running_loop()), None)
    if client is not None:
        await client.aclose()


class BridgeClient:
    """Talks to one bridge. Cheap to create; holds one ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = httpx.Timeout(timeout, connect=3.0)
        # One shared client for all bridges: a client per bridge costs ~1 MB and ~40 ms of CPU
        # (its TLS context), for plain HTTP on loopback.
        self._http = http or shared_client()

    async def _request(self, method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("timeout", self._timeout)
        try:
            response = await self._http.request(
                method, self.base_url + path, headers=self._headers, **kw
            )
            response.raise_for_status()
            return response.json() if response.content else None
        except (httpx.HTTPError, ValueError) as exc:
            raise _translate(exc) from None

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "/taskyard/state")
        return result

    async def messages(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self._request("GET", "/messages"))["messages"]
        return result

    async def send(self, content: str) -> None:
        # Typing and waiting for the agent to react can take the bridge up to ~20 s.
        await self._request(
            "POST", "/message", json={"content": content, "type": "user"}, timeout=30.0
        )

    async def raw(self, keys: str) -> None:
        await self._request("POST", "/message", json={"content": keys, "type": "raw"})

    async def enqueue(self, content: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._request(
            "POST", "/taskyard/queue", json={"content": content}
        )
        return result

    async def interrupt(self) -> None:
        await self._request("POST", "/taskyard/interrupt")

    async def screen(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "/taskyard/screen")
        return result

    async def shutdown(self) -> None:
        await self._request("POST", "/taskyard/shutdown")

    async def events(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The bridge's event stream (current state replayed first) until it closes."""
        try:
            async with self._http.stream(
                "GET",
                self.base_url + "/taskyard/events",
                headers=self._headers,
                timeout=httpx.Timeout(None, connect=3.0),
            ) as response:
                response.raise_for_status()
                name = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        yield name, json.loads(line[5:])
        except (httpx.HTTPError, ValueError) as exc:
            raise _translate(exc) from None
