"""Running a synchronous service call on a worker thread while reporting MCP progress."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context

T = TypeVar("T")
ProgressCallback = Callable[[int, int, str], None]


async def run_with_progress(ctx: Context[Any] | None, work: Callable[[ProgressCallback], T],
                            *, every: int = 1) -> T:
    """Run ``work(progress)`` in a thread; each ``progress(done, total, message)`` becomes a notification.

    Notifications are throttled to every ``every``-th step (and the last one). Progress is only
    sent when the client asked for it (a progress token), which the SDK checks.
    """

    def progress(done: int, total: int, message: str) -> None:
        if ctx is None or (done % every and done != total):
            return
        anyio.from_thread.run(functools.partial(ctx.report_progress, done, total, message[:200]))

    return await anyio.to_thread.run_sync(lambda: work(progress))
