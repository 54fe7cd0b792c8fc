"""A deadline on every MCP request served over HTTP.

:func:`request_deadline` is server middleware (it runs inside the SDK for both protocol eras): a request
whose handler has not answered within the deadline is cancelled and answered with JSON-RPC ``-32001``
(request timeout). Cancellation is cooperative: a handler waiting (``session_wait``, progress, I/O) stops
at once; one blocked in a worker thread is answered when that thread returns. Long-lived listening
(``subscriptions/listen``) is exempt; notifications have no answer and are not timed.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from mcp.server.context import ServerMiddleware
from mcp.shared.exceptions import MCPError
from mcp_types import REQUEST_TIMEOUT

log = logging.getLogger("orchestra_mcp.http")
UNTIMED_METHODS = frozenset({"subscriptions/listen"})
MARK = "_orchestra_request_deadline"


def request_deadline(timeout_s: float) -> ServerMiddleware[Any]:
    """Middleware answering ``-32001`` when a request takes longer than ``timeout_s`` seconds."""

    async def deadline(ctx: Any, call_next: Any) -> Any:
        if ctx.request_id is None or ctx.method in UNTIMED_METHODS:
            return await call_next(ctx)
        with anyio.move_on_after(timeout_s):
            return await call_next(ctx)
        log.warning("%s exceeded the %gs request timeout and was cancelled", ctx.method, timeout_s)
        raise MCPError(REQUEST_TIMEOUT, f"request timed out after {timeout_s:g}s (the server's request timeout)",
                       {"reason": "request_timeout", "timeout_s": timeout_s})

    setattr(deadline, MARK, timeout_s)
    return deadline


def install_request_deadline(server: Any, timeout_s: float) -> None:
    """Add the deadline to ``server``'s middleware (once: a second call changes nothing)."""
    chain: list[Any] = server.middleware
    if any(hasattr(m, MARK) for m in chain):
        return
    chain.append(request_deadline(timeout_s))
