"""``resources/subscribe`` for the handshake era: who subscribed to which URI, and the update push.

MCPServer does not serve ``resources/subscribe``; the handlers are added on its low-level server
(reference mcp-notes §A.8). Subscriptions live in this process: an append made by another
server process of the same workspace is not pushed.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

log = logging.getLogger("orchestra_mcp")


class ResourceSubscriptions:
    """Client connections subscribed per resource URI."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Any]] = {}

    def install(self, server: MCPServer) -> None:
        """Serve ``resources/subscribe`` and ``resources/unsubscribe`` on ``server``."""
        low = server._lowlevel_server

        async def on_subscribe(ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
            sessions = self._subscribers.setdefault(str(params.uri), [])
            channel = channel_of(ctx)
            if not any(s is channel for s in sessions):
                sessions.append(channel)
            return EmptyResult()

        async def on_unsubscribe(ctx: ServerRequestContext[Any, Any],
                                 params: UnsubscribeRequestParams) -> EmptyResult:
            sessions = self._subscribers.get(str(params.uri), [])
            channel = channel_of(ctx)
            self._subscribers[str(params.uri)] = [s for s in sessions if s is not channel]
            return EmptyResult()

        low.add_request_handler("resources/subscribe", SubscribeRequestParams, on_subscribe)
        low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, on_unsubscribe)

    def count(self, uri: str) -> int:
        """How many sessions watch ``uri``."""
        return len(self._subscribers.get(uri, []))

    async def notify(self, *uris: str) -> None:
        """Send ``notifications/resources/updated`` to every subscriber of each URI; drop dead sessions."""
        for uri in uris:
            alive = []
            for session in self._subscribers.get(uri, []):
                try:
                    await session.send_resource_updated(uri)
                    alive.append(session)
                except Exception:  # a closed session: forget it
                    log.debug("dropping a subscriber of %s", uri)
            if uri in self._subscribers:
                self._subscribers[uri] = alive


def channel_of(ctx: ServerRequestContext[Any, Any]) -> Any:
    """The client connection behind a request (``ServerSession`` objects are per request in 2.3.0)."""
    return getattr(ctx.session, "_connection", ctx.session)
