"""The ASGI app of the HTTP transport: the SDK's streamable-HTTP endpoint behind the transport's layers.

Layers, outermost first (each refuses with a JSON-RPC-shaped body, see :mod:`.responses`):

1. :class:`~.hosts.HostOriginGuard`: Host / Origin checks (DNS-rebinding protection), every path;
2. ``GET /healthz``: ``{"status": "ok"}`` (503 ``draining`` during shutdown), not counted;
3. :class:`~.limits.InFlight`: server-wide concurrency limit and the drain used by graceful shutdown;
4. :class:`~.limits.BodyLimit`: the body read in full, at most ``max_body_bytes``, within ``body_timeout_s``;
5. ``extra_middleware`` (the seam, outermost first): e.g. hosted mode's authentication and per-principal
   admission. Each is ``factory(app) -> app`` (an ASGI middleware class taking the inner app, or a
   ``starlette.middleware.Middleware``). They see only requests that passed 1-4, with the body buffered;
6. the inner app: for :func:`build_http_app` the SDK's stateful streamable-HTTP app (both protocol eras;
   its session limit, idle timeout and own Host/Origin and body checks mirror the settings).

:class:`TransportApp` applies 1-5 to any inner ASGI app, so a dispatcher serving several MCP servers (hosted
mode) gets the same transport: ``TransportApp(dispatcher, settings, extra_middleware=[...])``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from orchestra_mcp.http.hosts import HostOriginGuard, HostPolicy
from orchestra_mcp.http.limits import BodyLimit, InFlight
from orchestra_mcp.http.settings import (
    ANY,
    HttpSettings,
    effective_allowed_hosts,
    effective_allowed_origins,
    split_host_port,
)
from orchestra_mcp.http.timeouts import install_request_deadline

MiddlewareFactory = Callable[[ASGIApp], ASGIApp] | Middleware
HEALTH_PATH = "/healthz"


class TransportApp:
    """An ASGI app: ``inner`` behind the transport's layers. ``inflight`` is what the runner drains.

    ``read_body=False`` leaves layer 4 to ``inner`` (hosted mode reads the body with :class:`BodyLimit`
    only after the credential and admission checks, so an unauthenticated client cannot make the server
    buffer bodies); ``health_details`` adds fields to the ``/healthz`` answer."""

    def __init__(self, inner: ASGIApp, settings: HttpSettings,
                 extra_middleware: Sequence[MiddlewareFactory] = (), *, read_body: bool = True,
                 health_details: Callable[[], dict[str, object]] | None = None) -> None:
        self.settings = settings
        self.inflight = InFlight(settings.max_inflight)
        app = inner
        for layer in reversed(list(extra_middleware)):
            app = _apply(layer, app)
        if read_body:
            app = BodyLimit(app, settings.max_body_bytes, settings.body_timeout_s)
        app = self.inflight.wrap(app)
        app = _health(app, self.inflight, health_details)
        policy = HostPolicy(effective_allowed_hosts(settings), effective_allowed_origins(settings), settings.port)
        self._app: ASGIApp = HostOriginGuard(app, policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def build_http_app(server: MCPServer, *, settings: HttpSettings,
                   extra_middleware: Sequence[MiddlewareFactory] = ()) -> TransportApp:
    """``server`` over stateful streamable HTTP at ``settings.path``, behind the transport's layers.

    Build it once per server: the SDK keeps one session manager per server (a second call replaces it).
    Adds the request deadline (:mod:`.timeouts`) to ``server``'s middleware."""
    install_request_deadline(server, settings.request_timeout_s)
    sdk_app = server.streamable_http_app(
        streamable_http_path=settings.path,
        json_response=False,
        stateless_http=False,
        max_request_body_size=settings.max_body_bytes,
        session_idle_timeout=settings.session_idle_s,
        max_sessions=settings.max_sessions,
        transport_security=sdk_security(settings),
        host=settings.host,
    )
    return TransportApp(sdk_app, settings, extra_middleware)


def sdk_security(settings: HttpSettings) -> TransportSecuritySettings:
    """The SDK's own Host/Origin check, mirroring ours (off where ours allows any)."""
    hosts = effective_allowed_hosts(settings)
    origins = effective_allowed_origins(settings)
    if ANY in hosts or ANY in origins:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    expanded: list[str] = []
    for pattern in hosts:
        name, port = split_host_port(pattern)
        expanded += [name, f"{name}:{settings.port}"] if port is None else [pattern]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=expanded,
                                     allowed_origins=list(origins))


def _apply(layer: MiddlewareFactory, app: ASGIApp) -> ASGIApp:
    if isinstance(layer, Middleware):
        factory: Any = layer.cls
        return factory(app, *layer.args, **layer.kwargs)  # type: ignore[no-any-return]
    return layer(app)


def _health(app: ASGIApp, inflight: InFlight,
            details: Callable[[], dict[str, object]] | None = None) -> ASGIApp:
    async def health(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != HEALTH_PATH or scope["method"] not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        status = 503 if inflight.draining else 200
        answer: dict[str, object] = {"status": "draining" if inflight.draining else "ok",
                                     "in_flight": inflight.active}
        if details is not None:
            answer.update(details())
        body = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return health
