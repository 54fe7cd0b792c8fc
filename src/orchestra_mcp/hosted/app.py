"""The hosted ASGI app: authenticate → admit → dispatch to the principal's scope server.

Routes: ``/mcp`` (streamable HTTP, both protocol eras), ``/.well-known/oauth-protected-resource`` (and
its ``/mcp`` path-suffixed form, RFC 9728 §3.1), ``/healthz``. Every ``/mcp`` request needs a bearer
credential; nothing of a scope is opened before its principal is authenticated and admitted, and the
request body is read (bounded in size and time, :class:`~orchestra_mcp.http.limits.BodyLimit`) only then.

``orchestra-mcp --transport http --auth ...`` serves this app behind the HTTP transport's layers
(:class:`~orchestra_mcp.http.app.TransportApp` with ``read_body=False``: Host/Origin checks, the
server-wide in-flight limit, graceful shutdown), see :mod:`orchestra_mcp.hosted.serve`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from orchestra.errors import OrchestraError
from orchestra.hosted.admission import AdmissionService, Lease
from orchestra.hosted.errors import ForbiddenError, RateLimitedError, UnauthorizedError
from orchestra.hosted.oauth import OAuthSettings
from orchestra.hosted.principal import Principal
from orchestra.hosted.principal import Scope as GrantScope
from orchestra.hosted.scopes import ScopeOpener
from orchestra.workspace.config import TOOL_GROUPS
from orchestra_mcp.hosted.auth import Authenticator, bearer_token, challenge
from orchestra_mcp.hosted.policy import PRINCIPAL_KEY
from orchestra_mcp.hosted.scopes import ScopeServers
from orchestra_mcp.http.limits import BodyLimit
from orchestra_mcp.http.settings import DEFAULT_BODY_TIMEOUT_S
from orchestra_mcp.surface import OrchestraServer

log = logging.getLogger("orchestra_mcp.hosted")
MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"


@dataclass
class HostedSettings:
    """What the hosted app needs (built by :mod:`orchestra_mcp.hosted.serve` from the command line)."""

    resource_url: str
    """The public URL of the MCP endpoint, e.g. ``https://orchestra.example.com/mcp`` (the token audience)."""
    authenticator: Authenticator
    admission: AdmissionService
    opener: ScopeOpener
    oauth: OAuthSettings | None = None
    groups: tuple[str, ...] = TOOL_GROUPS
    max_scopes: int = 64
    security: TransportSecuritySettings | None = None
    scope_prefix: str = "orchestra:"
    on_close: list[Callable[[], None]] = field(default_factory=list)
    path: str | None = None
    """The MCP route (default: the path of ``resource_url``)."""
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    """How long a request body may take to arrive (408 after)."""
    prepare_server: Callable[[OrchestraServer], None] | None = None
    """Called on each scope's server once built (e.g. the HTTP request deadline)."""

    @property
    def metadata_url(self) -> str:
        """Where the protected-resource metadata is served (RFC 9728 §3.1: path appended)."""
        parts = urlsplit(self.resource_url)
        path = parts.path.rstrip("/")
        return f"{parts.scheme}://{parts.netloc}{METADATA_PATH}{path}"


def protected_resource_metadata(settings: HostedSettings) -> dict[str, Any]:
    """RFC 9728 metadata for the MCP endpoint."""
    prefix = settings.oauth.scope_prefix if settings.oauth else settings.scope_prefix
    body: dict[str, Any] = {
        "resource": settings.resource_url,
        "bearer_methods_supported": ["header"],
        "scopes_supported": [f"{prefix}{s.label}" for s in GrantScope],
        "resource_name": "Orchestra MCP",
    }
    if settings.oauth is not None:
        body["authorization_servers"] = [settings.oauth.issuer]
        body["resource_signing_alg_values_supported"] = list(settings.oauth.algorithms)
    return body


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


class HostedEndpoint:
    """The ``/mcp`` ASGI endpoint."""

    def __init__(self, settings: HostedSettings, scopes: ScopeServers) -> None:
        self.settings = settings
        self.scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response, principal = await self._authenticate(request)
        if response is not None or principal is None:
            await (response or _json(401, {"error": "unauthorized"}))(scope, receive, send)
            return
        admission = self.settings.admission
        try:
            await anyio.to_thread.run_sync(admission.check_rate, principal.admission_key)
        except RateLimitedError as exc:
            await self._too_many(exc)(scope, receive, send)
            return
        except OrchestraError:
            log.exception("admission store failed")
            await _json(503, {"error": "unavailable", "message": "admission is unavailable; try again"},
                        {"Retry-After": "1"})(scope, receive, send)
            return
        limit = admission.limits.body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _json(413, {"error": "payload_too_large", "message": f"request body is over {limit} bytes"})(
                scope, receive, send)
            return
        lease: Lease | None = None
        if scope["method"] == "POST":  # a GET stream stays open for the session; it holds no slot
            try:
                lease = await anyio.to_thread.run_sync(admission.acquire, principal.admission_key)
            except RateLimitedError as exc:
                await self._too_many(exc)(scope, receive, send)
                return
        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            await self._dispatch(principal, scope, receive, send)

        try:  # the slot is renewed while the body arrives and while the request is served
            async with anyio.create_task_group() as tg:
                if lease is not None:
                    tg.start_soon(self._renew, lease)
                await BodyLimit(dispatch, limit, self.settings.body_timeout_s)(scope, receive, send)
                tg.cancel_scope.cancel()
        finally:
            if lease is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(admission.release, lease)

    async def _authenticate(self, request: Request) -> tuple[Response | None, Principal | None]:
        meta = self.settings.metadata_url
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is None:
                return _json(401, {"error": "unauthorized", "message": "authentication is required"},
                             {"WWW-Authenticate": challenge(meta)}), None
            principal = await anyio.to_thread.run_sync(self.settings.authenticator.authenticate, token)
        except UnauthorizedError as exc:
            return _json(401, {"error": "invalid_token", "message": exc.message},
                         {"WWW-Authenticate": challenge(meta, error="invalid_token", description=exc.message)}), None
        except ForbiddenError as exc:
            needed = str(exc.details.get("required_scope", ""))
            return _json(403, {"error": "insufficient_scope", "message": exc.message},
                         {"WWW-Authenticate": challenge(meta, error="insufficient_scope", scope=needed or None,
                                                        description=exc.message)}), None
        except OrchestraError:
            log.exception("authentication failed")
            return _json(503, {"error": "unavailable", "message": "authentication is unavailable; try again"},
                         {"Retry-After": "1"}), None
        return None, principal

    @staticmethod
    def _too_many(exc: RateLimitedError) -> Response:
        return _json(429, {"error": "rate_limited", "message": exc.message, "retryable": True},
                     {"Retry-After": str(exc.retry_after_s)})

    async def _dispatch(self, principal: Principal, scope: Scope, receive: Receive, send: Send) -> None:
        entry = await self.scopes.acquire(principal.tenant, principal.workspace)
        try:
            scope = dict(scope)
            scope[PRINCIPAL_KEY] = principal
            # the SDK binds a session to the credential that opened it (another one gets 404)
            scope["user"] = AuthenticatedUser(AccessToken(
                token=principal.credential_id, client_id=principal.credential_id, scopes=[principal.scope.label],
                subject=principal.subject or None, claims={"iss": principal.kind}))
            await entry.manager.handle_request(scope, receive, send)
        finally:
            await self.scopes.release(entry)

    async def _renew(self, lease: Lease) -> None:
        admission = self.settings.admission
        while True:
            await anyio.sleep(admission.limits.lease_ttl_s / 3)
            try:
                await anyio.to_thread.run_sync(admission.renew, lease)
            except OrchestraError:
                log.warning("could not renew an admission lease")


def create_hosted_app(settings: HostedSettings) -> Starlette:
    """The hosted Starlette app (run it with uvicorn; its lifespan runs the scope servers)."""
    scopes = ScopeServers(settings.opener, settings.groups, max_scopes=settings.max_scopes,
                          security=settings.security, body_limit=settings.admission.limits.body_bytes,
                          prepare=settings.prepare_server)
    endpoint = HostedEndpoint(settings, scopes)

    async def metadata(_request: Request) -> Response:
        return _json(200, protected_resource_metadata(settings))

    async def healthz(_request: Request) -> Response:
        return _json(200, {"ok": True, "open_scopes": len(scopes.open_keys)})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            scopes.bind(tg)
            try:
                yield
            finally:
                with anyio.CancelScope(shield=True):
                    await scopes.close_all()
                    for close in settings.on_close:
                        close()
                tg.cancel_scope.cancel()

    path = settings.path or urlsplit(settings.resource_url).path.rstrip("/") or MCP_PATH
    routes = [
        Route(METADATA_PATH, metadata, methods=["GET"]),
        Route(METADATA_PATH + path, metadata, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route(path, endpoint, methods=["GET", "POST", "DELETE"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.scopes = scopes
    return app
