"""JSON-RPC-shaped refusals sent before a request reaches the MCP endpoint.

A client reading the body of a 4xx/5xx from the transport gets the same shape as any JSON-RPC error
(``{"jsonrpc": "2.0", "id": null, "error": {"code", "message", "data": {"reason"}}}``): the request was
not read (or not parsed), so its id is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import Send

INVALID_REQUEST = -32600
SERVER_ERROR = -32000  # implementation-defined server errors: -32000 .. -32099

REASONS = {
    "body_too_large": (413, INVALID_REQUEST),
    "body_timeout": (408, INVALID_REQUEST),
    "host_not_allowed": (421, INVALID_REQUEST),
    "origin_not_allowed": (403, INVALID_REQUEST),
    "overloaded": (503, SERVER_ERROR),
    "shutting_down": (503, SERVER_ERROR),
}


def error_body(code: int, message: str, reason: str) -> bytes:
    """The JSON-RPC error object (id null) as bytes."""
    payload = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message, "data": {"reason": reason}}}
    return json.dumps(payload, separators=(",", ":")).encode()


async def send_refusal(send: Send, reason: str, message: str, *,
                       headers: Mapping[str, str] | None = None) -> None:
    """Answer with the status that goes with ``reason`` and a JSON-RPC error body, closing the connection
    when the request body may not have been read."""
    status, code = REASONS[reason]
    body = error_body(code, message, reason)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if reason in {"body_too_large", "body_timeout"}:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
