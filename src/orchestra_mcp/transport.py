"""stdio with a reply for every line: malformed JSON-RPC gets an error instead of silence.

The SDK's stdio transport turns a line it cannot parse into an exception on the read stream,
which the server drops, so the host waits until its own timeout. :class:`ReplyingReadStream`
wraps that stream and answers each such line with JSON-RPC ``-32700`` (parse error) or
``-32600`` (invalid request), carrying the request's id when it can be read, else ``null``.

When the host closes stdin, the requests already read are answered before the server stops
(up to ``ORCHESTRA_STDIO_DRAIN_S`` seconds, 30 by default): a call that was sent is finished,
not cancelled half-way.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import mcp_types as types
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from pydantic import ValidationError as PydanticValidationError

log = logging.getLogger("orchestra_mcp.transport")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
MAX_ID_PROBE_CHARS = 1_048_576
DEFAULT_DRAIN_S = 30.0


class InFlight:
    """The ids of requests read but not yet answered; an event fires when none is left."""

    def __init__(self) -> None:
        self._pending: set[types.RequestId] = set()
        self._idle = anyio.Event()
        self._idle.set()

    def started(self, request_id: types.RequestId) -> None:
        self._pending.add(request_id)
        if self._idle.is_set():
            self._idle = anyio.Event()

    def answered(self, request_id: types.RequestId | None) -> None:
        self._pending.discard(request_id)
        if not self._pending:
            self._idle.set()

    async def drained(self, grace_s: float) -> bool:
        """Wait until every request read so far is answered (at most ``grace_s``)."""
        with anyio.move_on_after(grace_s):
            await self._idle.wait()
        return not self._pending


class _ClosesOnExit:
    """``async with`` support for the stream wrappers: leaving the block closes the stream."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> bool | None:
        await self.aclose()
        return None


class AnsweringWriteStream(_ClosesOnExit):
    """The write stream, noting each response so :class:`InFlight` knows what is still open."""

    def __init__(self, inner: Any, in_flight: InFlight) -> None:
        self._inner = inner
        self._in_flight = in_flight

    async def send(self, item: SessionMessage) -> None:
        await self._inner.send(item)
        message = item.message
        if isinstance(message, types.JSONRPCResponse | types.JSONRPCError):
            self._in_flight.answered(message.id)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def drain_seconds(env: Mapping[str, str] = os.environ) -> float:
    """``ORCHESTRA_STDIO_DRAIN_S`` (0-600), else 30."""
    try:
        value = float(env.get("ORCHESTRA_STDIO_DRAIN_S", DEFAULT_DRAIN_S))
    except ValueError:
        return DEFAULT_DRAIN_S
    return min(max(value, 0.0), 600.0)


class ReplyingReadStream(_ClosesOnExit):
    """A read stream that answers the transport's parse failures and yields only messages."""

    def __init__(self, inner: Any, write_stream: Any, in_flight: InFlight | None = None,
                 drain_s: float = 0.0) -> None:
        self._inner = inner
        self._write = write_stream
        self._in_flight = in_flight
        self._drain_s = drain_s

    @property
    def last_context(self) -> Any:
        """The sender's context of the last item (the SDK's context streams expose it)."""
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            try:
                item: SessionMessage | Exception = await self._inner.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                if self._in_flight is not None and not await self._in_flight.drained(self._drain_s):
                    log.warning("stdin closed with requests still running after %.0f s; stopping", self._drain_s)
                raise
            if not isinstance(item, Exception):
                if self._in_flight is not None and isinstance(item.message, types.JSONRPCRequest):
                    self._in_flight.started(item.message.id)
                return item
            reply = error_reply(item)
            if reply is None:
                return item
            log.warning("answered a malformed JSON-RPC line with error %d", reply.error.code)
            await self._write.send(SessionMessage(reply))

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except Exception as exc:  # end of stream
            if isinstance(exc, anyio.EndOfStream | anyio.ClosedResourceError):
                raise StopAsyncIteration from None
            raise


def error_reply(exc: Exception) -> types.JSONRPCError | None:
    """The JSON-RPC error for a line the transport could not turn into a message (None: not a line error)."""
    if not isinstance(exc, PydanticValidationError):
        return None
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        raw = errors[0].get("input")
        return _error(PARSE_ERROR, "Parse error: the line is not valid JSON (or exceeds the parser's limits)",
                      _probe_id(raw) if isinstance(raw, str) else None)
    body = next((e.get("input") for e in errors if isinstance(e.get("input"), dict)), None)
    if body is None:
        body = errors[0].get("input") if errors else None
    what = "batches are not supported" if isinstance(body, list) else "not a JSON-RPC 2.0 request"
    return _error(INVALID_REQUEST, f"Invalid Request: {what}", _request_id(body))


def _probe_id(raw: str) -> types.RequestId | None:
    """Read the id from a line the strict parser refused (e.g. a lone surrogate), when Python's can."""
    if len(raw) > MAX_ID_PROBE_CHARS:
        return None
    try:
        return _request_id(json.loads(raw))
    except (ValueError, RecursionError):
        return None


def _request_id(body: object) -> types.RequestId | None:
    if not isinstance(body, dict):
        return None
    value = body.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, str) and len(value) <= 256 and value.isprintable():
        return value
    return None


def _error(code: int, message: str, request_id: types.RequestId | None) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))


async def serve_stdio(server: MCPServer) -> None:
    """Serve ``server`` on stdin/stdout like ``MCPServer.run()``, answering malformed lines."""
    lowlevel = server._lowlevel_server
    in_flight = InFlight()
    async with stdio_server() as (read_stream, write_stream):
        answering = AnsweringWriteStream(write_stream, in_flight)
        await lowlevel.run(ReplyingReadStream(read_stream, answering, in_flight, drain_seconds()), answering,
                           lowlevel.create_initialization_options())
