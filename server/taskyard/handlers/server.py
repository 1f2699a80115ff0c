"""``taskyard/server/*``: what this sidecar is and can do."""

from __future__ import annotations

from typing import Any

from taskyard.protocol import ServerInfoParams
from taskyard.protocol import _generated as wire
from taskyard.rpc import method


@method(wire.SERVER_INFO)
async def info(ls: Any, _: ServerInfoParams, __: Any) -> Any:
    return await (await ls.services()).info()


HANDLERS = {wire.SERVER_INFO: info}
