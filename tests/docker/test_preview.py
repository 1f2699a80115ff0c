"""A template's preview port: published on 127.0.0.1 only, its URL on the workspace record.

The setup script starts a web server on the preview port inside the container (as an agent
would start a dev server); the URL the provider reports must reach it from the host, and the
port must not be published on any other address.
"""

from __future__ import annotations

import httpx

from .conftest import Harness, Logs, idle, wait_for

SERVER = (
    "mkdir -p /tmp/site && echo preview-ok > /tmp/site/index.html && "
    "(cd /tmp/site && nohup python3 -m http.server 8000 >/dev/null 2>&1 &)"
)


async def test_the_preview_port_is_published_on_loopback(harness: Harness) -> None:
    spec = harness.spec(setup_script=SERVER, preview_port=8000)
    data = await harness.provider.create(spec, Logs())
    client = harness.provider.client(data)
    await wait_for(client, idle)
    url = data["preview_url"]
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":8000")
    async with httpx.AsyncClient() as http:
        for _ in range(50):
            try:
                page = await http.get(url, timeout=2)
                break
            except httpx.TransportError:
                continue
    assert page.status_code == 200 and page.text == "preview-ok\n"
    bindings = harness.container(spec.task_id).attrs["NetworkSettings"]["Ports"]["8000/tcp"]
    assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]
    stopped = await harness.provider.stop(data, grace=5.0)
    assert stopped["preview_url"] is None
    await harness.provider.delete(stopped)
