"""``taskyard/server/*``: what this sidecar is and can do."""

from __future__ import annotations

from taskyard.app import Services
from taskyard.protocol import SERVER_INFO, ServerInfo, ServerInfoParams
from taskyard.rpc import Call, method


@method(SERVER_INFO)
async def info(services: Services, _: ServerInfoParams, __: Call) -> ServerInfo:
    return await services.info()
