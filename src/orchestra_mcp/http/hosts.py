"""DNS-rebinding protection: the Host and Origin of every HTTP request are checked before anything else.

A web page the user visits can make the browser send requests to ``127.0.0.1`` under a name the attacker
controls (DNS rebinding), or from its own origin. Refusing any Host that is not a name this server is bound
under (421) and any Origin that is not allowed (403) keeps such pages out; clients that send no Origin
(every MCP host, curl) are unaffected.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from orchestra_mcp.http.responses import send_refusal
from orchestra_mcp.http.settings import ANY, split_host_port

log = logging.getLogger("orchestra_mcp.http")
MAX_HEADER_CHARS = 300


class HostPolicy:
    """Host and Origin patterns: ``name:port`` exact, ``name:*`` any port, bare ``name`` (no port, or the
    bound port), ``*`` anything."""

    def __init__(self, hosts: tuple[str, ...], origins: tuple[str, ...], port: int) -> None:
        self.hosts = tuple(h.lower() for h in hosts)
        self.origins = tuple(o.lower().rstrip("/") for o in origins)
        self.port = str(port)

    def host_allowed(self, host: str | None) -> bool:
        """Whether a Host header value is one of ours (a request without Host is refused)."""
        if not host or len(host) > MAX_HEADER_CHARS:
            return False
        if ANY in self.hosts:
            return True
        value = host.lower()
        name, port = split_host_port(value)
        for pattern in self.hosts:
            p_name, p_port = split_host_port(pattern)
            if p_name != name:
                continue
            if (p_port == "*" and port) or p_port == port or (p_port is None and port in (None, self.port)):
                return True
        return False

    def origin_allowed(self, origin: str | None) -> bool:
        """Whether an Origin header value is allowed (absent: yes; ``null`` or malformed: no)."""
        if origin is None:
            return True
        if ANY in self.origins:
            return True
        value = origin.lower().rstrip("/")
        if len(value) > MAX_HEADER_CHARS:
            return False
        for pattern in self.origins:
            if pattern == value:
                return True
            if pattern.endswith(":*"):
                scheme_host = pattern[:-2]
                rest = value[len(scheme_host):]
                if value.startswith(scheme_host + ":") and rest[1:].isdigit():
                    return True
        return False


class HostOriginGuard:
    """ASGI middleware refusing requests whose Host or Origin is not allowed (every path, every method)."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = None
        hosts = origins = 0
        for key, value in scope["headers"]:
            if key == b"host":
                host, hosts = value.decode("latin-1"), hosts + 1
            elif key == b"origin":
                origin, origins = value.decode("latin-1"), origins + 1
        if hosts != 1 or not self.policy.host_allowed(host):
            log.warning("refused a request with Host %r", (host or "")[:80])
            await send_refusal(send, "host_not_allowed", "Host header not allowed (DNS-rebinding protection)")
            return
        if origins > 1 or not self.policy.origin_allowed(origin):
            log.warning("refused a request with Origin %r", (origin or "")[:80])
            await send_refusal(send, "origin_not_allowed", "Origin not allowed (DNS-rebinding protection)")
            return
        await self.app(scope, receive, send)
