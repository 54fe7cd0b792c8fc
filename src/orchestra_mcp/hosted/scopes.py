"""Each scope's MCP server and session manager, opened on first use and kept in a bounded LRU.

An entry is opened in a worker thread (disk), its session manager runs in the app's task group, and
an idle entry (no request in flight) beyond ``max_scopes`` is closed cleanly: its sessions end (their
ids then answer 404 and the client initializes again) and its Orchestra is closed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup, TaskStatus
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from orchestra.app import Orchestra
from orchestra.hosted.scopes import ScopeOpener
from orchestra_mcp.hosted.policy import install_guard
from orchestra_mcp.server import create_server
from orchestra_mcp.surface import OrchestraServer

log = logging.getLogger("orchestra_mcp.hosted")
SESSION_IDLE_TIMEOUT_S = 30 * 60


@dataclass(eq=False)
class ScopeEntry:
    """One open scope."""

    key: str
    app: Orchestra
    server: OrchestraServer
    manager: StreamableHTTPSessionManager
    in_flight: int = 0
    stop: anyio.Event = field(default_factory=anyio.Event)
    done: anyio.Event = field(default_factory=anyio.Event)


class ScopeServers:
    """Open scopes by ``(tenant, workspace)``; at most ``max_scopes`` idle ones stay open."""

    def __init__(self, opener: ScopeOpener, groups: Iterable[str], *, max_scopes: int = 64,
                 security: TransportSecuritySettings | None = None, body_limit: int = 64 * 1024,
                 prepare: Callable[[OrchestraServer], None] | None = None) -> None:
        self._opener = opener
        self._prepare = prepare
        self._groups = tuple(groups)
        self._max = max(1, max_scopes)
        self._security = security
        self._body_limit = body_limit
        self._entries: OrderedDict[str, ScopeEntry] = OrderedDict()
        self._lock = anyio.Lock()
        self._tg: TaskGroup | None = None

    def bind(self, task_group: TaskGroup) -> None:
        """The task group the session managers run in (the app's lifespan)."""
        self._tg = task_group

    @property
    def open_keys(self) -> list[str]:
        """Open scopes, least recently used first."""
        return list(self._entries)

    async def acquire(self, tenant: str, workspace: str) -> ScopeEntry:
        """The scope's entry with one more request in flight (release it with :meth:`release`)."""
        key = f"{tenant}/{workspace}"
        async with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = await self._open(key, tenant, workspace)
                self._entries[key] = entry
            self._entries.move_to_end(key)
            entry.in_flight += 1
            await self._evict()
        return entry

    async def release(self, entry: ScopeEntry) -> None:
        """One request of ``entry`` finished."""
        entry.in_flight -= 1

    async def _open(self, key: str, tenant: str, workspace: str) -> ScopeEntry:
        if self._tg is None:
            raise RuntimeError("scope servers are not running (no lifespan)")
        groups = self._groups

        def build() -> tuple[Orchestra, OrchestraServer]:
            app = self._opener(tenant, workspace)
            try:
                server = create_server(app, groups)
                install_guard(server)
                if self._prepare is not None:
                    self._prepare(server)
            except BaseException:
                app.close()
                raise
            return app, server

        app, server = await anyio.to_thread.run_sync(build)
        manager = StreamableHTTPSessionManager(app=server._lowlevel_server, security_settings=self._security,
                                               max_request_body_size=self._body_limit,
                                               session_idle_timeout=SESSION_IDLE_TIMEOUT_S)
        entry = ScopeEntry(key=key, app=app, server=server, manager=manager)
        await self._tg.start(self._run, entry)
        log.info("opened scope %s", key)
        return entry

    async def _run(self, entry: ScopeEntry, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with entry.manager.run():
                task_status.started()
                await entry.stop.wait()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(entry.app.close)
                entry.done.set()
                log.info("closed scope %s", entry.key)

    async def _evict(self) -> None:
        while len(self._entries) > self._max:
            idle = next((e for e in self._entries.values() if e.in_flight == 0), None)
            if idle is None:
                return  # every open scope is busy: over the bound until one is idle
            del self._entries[idle.key]
            idle.stop.set()
            await idle.done.wait()

    async def close_all(self) -> None:
        """Close every open scope (shutdown)."""
        async with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.stop.set()
        for entry in entries:
            await entry.done.wait()
