"""What the HTTP transport is configured with, validated once, and the rules that follow from it.

:class:`HttpSettings` holds the bind address, the MCP path, the Host/Origin allow-lists and the limits.
:func:`check_bind` refuses a non-loopback bind unless :func:`auth_configured` says an authentication layer
sits in front of the endpoint (hosted mode sets ``auth``; nothing in this package does).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from orchestra.errors import ValidationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_PATH = "/mcp"
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_INFLIGHT = 64
DEFAULT_REQUEST_TIMEOUT_S = 300.0
DEFAULT_BODY_TIMEOUT_S = 10.0
DEFAULT_SHUTDOWN_GRACE_S = 30.0
DEFAULT_SESSION_IDLE_S = 86_400.0  # hosts such as Claude Code do not reconnect a lost session
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_MAX_CONNECTIONS = 512

ANY = "*"
AUTH_FLAG = "--auth"
AUTH_ENV = "ORCHESTRA_AUTH"
_LOOPBACK_NAMES = {"localhost"}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]{0,127}$")
_ORIGIN = re.compile(r"^https?://[^\s/?#]{1,260}$")


class HttpConfigError(ValidationError):
    """The HTTP transport cannot start with these settings; nothing was bound."""

    code = "http_config_invalid"


@dataclass(frozen=True)
class HttpSettings:
    """How the streamable-HTTP endpoint is bound and bounded (see ``docs/operations.md``)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    path: str = DEFAULT_PATH
    allowed_hosts: tuple[str, ...] = ()
    """Host header values accepted: ``name``, ``name:port``, ``name:*`` or ``*`` (any). Empty: the bound
    loopback names with the bound port."""
    allowed_origins: tuple[str, ...] = ()
    """Origin header values accepted (``scheme://host[:port]``, ``...:*`` or ``*``); a request without an
    Origin (every non-browser client) is always accepted. Empty: ``http://`` + each allowed host."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_inflight: int = DEFAULT_MAX_INFLIGHT
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    session_idle_s: float = DEFAULT_SESSION_IDLE_S
    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    auth: str | None = None
    """The authentication layer in front of the endpoint (e.g. ``"tokens"``, ``"oauth"``), set by hosted
    mode together with the ASGI layer that enforces it. ``None``: no authentication (loopback only)."""
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    """Free-form settings for layers plugged in through the seam (unused here)."""

    def with_port(self, port: int) -> HttpSettings:
        """The same settings once the real port is known (``port=0`` binds an ephemeral one)."""
        return replace(self, port=port)

    @property
    def url(self) -> str:
        """The endpoint URL a client on this machine uses."""
        return f"http://{url_host(self.host)}:{self.port}{self.path}"


def auth_configured(settings: HttpSettings) -> bool:
    """True when an authentication layer is configured in front of the endpoint.

    Always False for what this package builds on its own: only hosted mode sets ``settings.auth``
    (with the layer that checks credentials), via ``--auth`` / ``ORCHESTRA_AUTH``."""
    return bool(settings.auth and settings.auth.strip())


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); every other name or address,
    wildcards (0.0.0.0, ::) included, is reachable from elsewhere."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it appears in a URL or Host header (IPv6 in brackets)."""
    bare = host.strip("[]")
    return f"[{bare}]" if ":" in bare else bare


def validate(settings: HttpSettings) -> HttpSettings:
    """``settings`` checked field by field; :class:`HttpConfigError` names the first bad one."""
    _check_host(settings.host)
    _check_int("port", settings.port, 0, 65535)
    path = settings.path
    if not _PATH.match(path) or "//" in path or (path.endswith("/") and path != "/"):
        raise HttpConfigError("path: must start with '/', use only URL-safe characters, and not end with '/'")
    _check_int("max_body_bytes", settings.max_body_bytes, 1024, 16 * 1024 * 1024)
    _check_int("max_inflight", settings.max_inflight, 1, 4096)
    _check_int("max_sessions", settings.max_sessions, 1, 100_000)
    _check_int("max_connections", settings.max_connections, 4, 100_000)
    _check_seconds("request_timeout_s", settings.request_timeout_s, 1, 86_400)
    _check_seconds("body_timeout_s", settings.body_timeout_s, 0.1, 600)
    _check_seconds("shutdown_grace_s", settings.shutdown_grace_s, 0, 3600)
    _check_seconds("session_idle_s", settings.session_idle_s, 1, 7 * 86_400)
    for entry in settings.allowed_hosts:
        _check_host_pattern(entry)
    for entry in settings.allowed_origins:
        if entry != ANY and not _ORIGIN.match(entry):
            raise HttpConfigError(f"allowed_origins: {entry[:80]!r} is not scheme://host[:port] or '*'")
    return settings


def check_bind(settings: HttpSettings) -> None:
    """Refuse to serve a non-loopback address without authentication, and a wildcard bind without
    the names clients will use (needed for the Host check)."""
    if is_loopback(settings.host):
        return
    if not auth_configured(settings):
        raise HttpConfigError(
            f"binding {settings.host} (not a loopback address) requires authentication: configure it with "
            f"{AUTH_FLAG} (or {AUTH_ENV}) in hosted mode, or bind 127.0.0.1 / localhost / ::1")
    if not settings.allowed_hosts and _is_wildcard(settings.host):
        raise HttpConfigError(f"binding {settings.host} needs --allowed-host NAME[:PORT] (the name clients "
                              "connect with; '*' turns the Host check off, e.g. behind a proxy that checks it)")


def effective_allowed_hosts(settings: HttpSettings) -> tuple[str, ...]:
    """The Host patterns in force: configured ones, else the bound loopback names with the bound port."""
    if settings.allowed_hosts:
        return tuple(h.lower() for h in settings.allowed_hosts)
    host = settings.host.strip("[]").lower()
    names: list[str]
    if host == "localhost":
        names = ["localhost", "127.0.0.1", "[::1]"]
    elif is_loopback(host):
        names = [url_host(host), "localhost"]
    else:
        names = [url_host(host)]
    return tuple(f"{name}:{settings.port}" for name in names)


def effective_allowed_origins(settings: HttpSettings) -> tuple[str, ...]:
    """The Origin values in force: configured ones, else ``http://`` plus each allowed host."""
    if settings.allowed_origins:
        return tuple(o.lower().rstrip("/") for o in settings.allowed_origins)
    hosts = effective_allowed_hosts(settings)
    if ANY in hosts:
        return (ANY,)
    return tuple(f"http://{h}" for h in hosts)


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _check_host(host: str, label: str = "host") -> None:
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
        return
    except ValueError:
        pass
    if not _HOSTNAME.match(bare):
        raise HttpConfigError(f"{label}: {host[:80]!r} is not an IP address or host name")


def split_host_port(value: str) -> tuple[str, str | None]:
    """``("name", "port")`` of a Host value or pattern (``[v6]:port`` keeps its brackets); port None when
    absent, ``""`` when the value is malformed after the name."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return value, ""
        rest = value[end + 1:]
        return value[:end + 1], (rest[1:] if rest.startswith(":") else None if not rest else "")
    if value.count(":") == 1:
        name, port = value.split(":")
        return name, port
    return value, None


def _check_host_pattern(entry: str) -> None:
    if entry == ANY:
        return
    name, port = split_host_port(entry)
    if port is not None and port != "*" and not (port.isdigit() and 0 < int(port) < 65536):
        raise HttpConfigError(f"allowed_hosts: {entry[:80]!r}: the port must be a number or '*'")
    _check_host(name, "allowed_hosts")


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HttpConfigError(f"{name}: must be an integer from {low} to {high}")


def _check_seconds(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise HttpConfigError(f"{name}: must be a number of seconds from {low:g} to {high:g}")
