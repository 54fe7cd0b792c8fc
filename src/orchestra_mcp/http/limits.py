"""Server-wide bounds on what HTTP requests may cost: how many run at once, how big and how slow a body is.

- :class:`InFlight` counts requests that carry a body (POST/PUT/PATCH/DELETE: JSON-RPC messages) while they
  are served. Beyond ``limit`` a request is refused at once with 503 and ``Retry-After``; while the server
  drains for shutdown every new request (GET streams too) is refused the same way and
  :meth:`InFlight.wait_idle` lets the runner wait for those already running. Long-lived GET streams
  (server-to-client SSE) are tracked, not limited: the SDK bounds them through its session limit.
- :class:`BodyLimit` reads the whole body before the endpoint does, refusing one over ``max_bytes`` (413,
  also when ``Content-Length`` says so up front) or one that does not arrive within ``timeout_s`` (408).
"""

from __future__ import annotations

import logging

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestra_mcp.http.responses import send_refusal

log = logging.getLogger("orchestra_mcp.http")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_AFTER_S = 1


class InFlight:
    """The number of requests being served, a limit on it, and the drain used by graceful shutdown."""

    def __init__(self, limit: int, retry_after_s: int = RETRY_AFTER_S) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.active = 0
        self.streams = 0
        self.peak = 0
        self.refused = 0
        self.draining = False
        self._idle = anyio.Event()
        self._idle.set()

    def start_draining(self) -> None:
        """From now on refuse every new request (the runner has stopped accepting connections)."""
        self.draining = True

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no counted request is in flight, at most ``timeout_s``; False when some still are."""
        with anyio.move_on_after(timeout_s):
            await self._idle.wait()
        return self.active == 0

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind this counter (as ASGI middleware)."""

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            if self.draining:
                await send_refusal(send, "shutting_down", "the server is shutting down; retry on another "
                                   "instance or after it restarts", headers=self._retry())
                return
            if scope["method"] not in BODY_METHODS:
                self.streams += 1
                try:
                    await app(scope, receive, send)
                finally:
                    self.streams -= 1
                return
            if self.active >= self.limit:
                self.refused += 1
                await send_refusal(send, "overloaded", f"too many requests in flight (limit {self.limit}); "
                                   f"retry after {self.retry_after_s}s", headers=self._retry())
                return
            self.active += 1
            self.peak = max(self.peak, self.active)
            self._idle = anyio.Event() if self.active == 1 else self._idle
            try:
                await app(scope, receive, send)
            finally:
                self.active -= 1
                if self.active == 0:
                    self._idle.set()

        return counted

    def _retry(self) -> dict[str, str]:
        return {"retry-after": str(self.retry_after_s)}


class BodyLimit:
    """ASGI middleware: the request body read in full, bounded in size and time, then replayed."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(send)
            return
        body = bytearray()
        trailing: Message | None = None
        with anyio.move_on_after(self.timeout_s) as timer:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    trailing = message  # http.disconnect: let the endpoint see it
                    break
                body.extend(message.get("body", b""))
                if len(body) > self.max_bytes:
                    await self._too_large(send)
                    return
                if not message.get("more_body", False):
                    break
        if timer.cancelled_caught:
            log.warning("refused a request whose body did not arrive within %gs", self.timeout_s)
            await send_refusal(send, "body_timeout", f"the request body did not arrive within {self.timeout_s:g}s")
            return
        queued: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]
        if trailing is not None:
            queued.append(trailing)

        async def replay() -> Message:
            return queued.pop(0) if queued else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        log.warning("refused a request body over %d bytes", self.max_bytes)
        await send_refusal(send, "body_too_large", f"request body exceeds {self.max_bytes} bytes")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                number = int(value)
            except ValueError:
                return None
            return number if number >= 0 else None
    return None

