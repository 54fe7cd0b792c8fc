"""MCP logging to the client: ``logging/setLevel`` and the ``notifications/message`` the server sends.

What the server tells the client this way is what the client did not ask about but should know: a
session settled from a host report or a handoff file during someone's call. Handshake-era clients pick
the lowest level they want with ``logging/setLevel`` (per connection, ``info`` until they set one); on
2026-07-28 the client opts in per request through ``_meta`` and the SDK applies it. Every text passes
the guard before it is sent. MCP logging is deprecated (SEP-2577) but still part of both revisions this
server speaks, so it is served, not dropped.
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Callable
from typing import Any, get_args

from mcp.server import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import EmptyResult, LoggingLevel, SetLevelRequestParams

from orchestra_mcp.subscriptions import channel_of

log = logging.getLogger("orchestra_mcp")

LEVELS: tuple[str, ...] = get_args(LoggingLevel)
"""Syslog severities, lowest first (``debug`` … ``emergency``)."""

DEFAULT_LEVEL = "info"
LOGGER_NAME = "orchestra"


class ClientLog:
    """Per-connection minimum levels and a guarded sender of ``notifications/message``."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        self._scrub = scrub
        self._levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def install(self, server: MCPServer) -> None:
        """Serve ``logging/setLevel`` on ``server`` (which makes it declare the ``logging`` capability)."""

        async def on_set_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
            self._levels[channel_of(ctx)] = params.level
            return EmptyResult()

        server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, on_set_level)

    def level_of(self, ctx: ServerRequestContext[Any, Any]) -> str:
        """The lowest level this request's connection receives."""
        try:
            return self._levels.get(channel_of(ctx), DEFAULT_LEVEL)
        except TypeError:  # a channel that cannot be weakly referenced never set a level
            return DEFAULT_LEVEL

    async def send(self, ctx: ServerRequestContext[Any, Any], level: LoggingLevel, text: str) -> bool:
        """Send ``text`` at ``level`` to the client of ``ctx`` if its connection wants that level.

        Returns whether it was handed to the session (the SDK still drops it on 2026-07-28 when the
        request did not opt in). A failure to send is logged and never reaches the caller's call."""
        if LEVELS.index(level) < LEVELS.index(self.level_of(ctx)):
            return False
        try:
            safe = self._scrub(text)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await ctx.session.send_log_message(level, safe, logger=LOGGER_NAME,
                                                   related_request_id=ctx.request_id)
        except Exception:
            log.debug("a log notification could not be sent", exc_info=True)
            return False
        return True
