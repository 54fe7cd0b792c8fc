"""Running a :class:`~.app.TransportApp` with uvicorn, and stopping it gracefully.

:func:`bind` opens the listening socket first (a clear error when the address is taken; ``port=0`` picks a
free one and the settings learn it). :func:`serve_http` serves until SIGTERM or SIGINT, then:

1. stops accepting connections;
2. refuses new requests on open connections (503 ``shutting_down`` with ``Retry-After``);
3. waits for the requests in flight (tool calls) to finish, at most ``shutdown_grace_s``;
4. ends the open server-to-client streams, closes connections, shuts the SDK's session manager down;
5. returns 0 (a second signal cuts step 3 short).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn
from sse_starlette.sse import AppStatus

from orchestra_mcp.http.app import TransportApp
from orchestra_mcp.http.settings import HttpConfigError, HttpSettings

log = logging.getLogger("orchestra_mcp.http")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
CLOSE_TIMEOUT_S = 3.0
BACKLOG = 128


def bind(settings: HttpSettings) -> tuple[socket.socket, HttpSettings]:
    """A listening socket on ``settings.host``/``port`` and the settings with the real port."""
    try:
        infos = socket.getaddrinfo(settings.host.strip("[]"), settings.port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise HttpConfigError(f"host: cannot resolve {settings.host!r} ({exc.strerror})") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # "localhost": 127.0.0.1 before ::1
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise HttpConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock, settings.with_port(sock.getsockname()[1])


class GracefulServer(uvicorn.Server):
    """uvicorn's server with the drain of :mod:`serve` on shutdown; a signal is not re-raised afterwards
    (so SIGTERM ends with exit status 0)."""

    def __init__(self, config: uvicorn.Config, app: TransportApp,
                 on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.transport = app
        self.on_ready = on_ready
        self.abandoned = 0

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit and self.on_ready is not None:
            self.on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        inflight = self.transport.inflight
        inflight.start_draining()
        grace = self.transport.settings.shutdown_grace_s
        if inflight.active:
            log.warning("shutting down: waiting up to %gs for %d request(s) in flight", grace, inflight.active)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while inflight.active and not self.force_exit and loop.time() < deadline:
            await inflight.wait_idle(min(0.1, max(0.0, deadline - loop.time())))
        self.abandoned = inflight.active
        if self.abandoned:
            log.warning("shutting down: %d request(s) still in flight after the grace period are cut off",
                        self.abandoned)
        AppStatus.should_exit = True  # ends the open SSE streams (GET streams, cut-off calls)
        await super().shutdown(sockets=sockets)


def serve_http(app: TransportApp, sock: socket.socket, *, on_ready: Callable[[], None] | None = None) -> int:
    """Serve ``app`` on the bound ``sock`` until SIGTERM/SIGINT; 0 after a graceful stop."""
    AppStatus.enable_automatic_graceful_drain = False  # we end the streams ourselves, after the drain
    AppStatus.should_exit = False
    settings = app.settings
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,  # uvicorn logs through the root logger and its guard filter
        log_level=logging.getLogger().getEffectiveLevel(),
        access_log=False,
        proxy_headers=False,
        server_header=False,
        ws="none",
        http="h11",
        loop="asyncio",
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=int(CLOSE_TIMEOUT_S),
        backlog=BACKLOG,
    )
    server = GracefulServer(config, app, on_ready=on_ready)
    server.run(sockets=[sock])
    if not server.started:
        return 1
    return 0
