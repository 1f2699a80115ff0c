"""The engine's background jobs (start-ups, owner watches), held so none is lost or leaked.

A job may carry a key (the task id for a start-up), so a delete can cancel the start-up of the
task it removes and wait for it to let go before the provider removes the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Jobs:
    """Background jobs of one engine."""

    def __init__(self) -> None:
        self._all: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}

    def spawn(self, coro: Coroutine[Any, Any, Any], key: str | None = None) -> asyncio.Task[Any]:
        job = asyncio.ensure_future(coro)
        self._all.add(job)
        job.add_done_callback(self._done)
        if key is not None:
            self._keyed[key] = job
        return job

    def running(self, key: str) -> bool:
        job = self._keyed.get(key)
        return job is not None and not job.done()

    async def cancel(self, key: str) -> None:
        """Cancel the job with this key, if any, and wait until it has ended."""
        job = self._keyed.pop(key, None)
        if job is None or job.done():
            return
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await job

    async def close(self) -> None:
        jobs = list(self._all)
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job

    def _done(self, job: asyncio.Task[Any]) -> None:
        self._all.discard(job)
        for key, keyed in list(self._keyed.items()):
            if keyed is job:
                del self._keyed[key]
        if not job.cancelled() and job.exception() is not None:
            log.error("background job failed", exc_info=job.exception())
