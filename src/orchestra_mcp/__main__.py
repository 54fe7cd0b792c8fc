"""``orchestra-mcp``: the MCP server on stdio (nothing but JSON-RPC reaches stdout) or streamable HTTP.

Over HTTP it serves one workspace (loopback only), or, when authentication is configured (``--auth`` or
``ORCHESTRA_AUTH``), hosted mode: the tenant scopes of ``--data-dir``, every request as an authenticated
principal (:mod:`orchestra_mcp.hosted.serve`). One entry point, one set of transport layers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestra.app import Orchestra
    from orchestra.workspace.root import RootChoice
    from orchestra_mcp.http.settings import HttpSettings

HTTP_OPTIONS = ("host", "port", "path", "allowed_host", "allowed_origin", "max_body_bytes", "max_inflight",
                "request_timeout", "shutdown_grace")


def build_parser() -> argparse.ArgumentParser:
    """The options of ``orchestra-mcp``."""
    parser = argparse.ArgumentParser(prog="orchestra-mcp", description="Orchestra MCP server (stdio or HTTP).")
    parser.add_argument("--workspace", help="workspace root (default: discovered from the environment)")
    parser.add_argument("--tools", help="tool groups to expose, comma-separated: core (always), security, chat, "
                                        "ledger, media, compliance, or all (default: ORCHESTRA_TOOLS, then "
                                        "mcp.toolGroups in config.json, then core)")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio",
                        help="stdio (default: one client, launched by it) or http (streamable HTTP, many clients)")
    http = parser.add_argument_group("HTTP (with --transport http; see docs/operations.md)")
    http.add_argument("--host", default=None, help="address to bind (default 127.0.0.1; a non-loopback address "
                                                   "requires authentication: --auth in hosted mode)")
    http.add_argument("--port", type=int, default=None, help="port (default 8765; 0 picks a free one)")
    http.add_argument("--path", default=None, help="endpoint path (default /mcp)")
    http.add_argument("--allowed-host", action="append", default=None, metavar="NAME[:PORT]",
                      help="a Host header to accept, repeatable: name:port, name:*, or * (default: the bound "
                           "loopback names with the port)")
    http.add_argument("--allowed-origin", action="append", default=None, metavar="ORIGIN",
                      help="a browser Origin to accept, repeatable (default: http:// + each allowed host; "
                           "requests without Origin are always accepted)")
    http.add_argument("--max-body-bytes", type=int, default=None, help="request body limit (default 65536)")
    http.add_argument("--max-inflight", type=int, default=None,
                      help="requests served at once before 503 + Retry-After (default 64)")
    http.add_argument("--request-timeout", type=float, default=None,
                      help="seconds before a request is cancelled with -32001 (default 300)")
    http.add_argument("--shutdown-grace", type=float, default=None,
                      help="seconds SIGTERM/SIGINT waits for calls in flight (default 30)")
    from orchestra_mcp.hosted.serve import add_hosted_arguments

    add_hosted_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Open the workspace, say on stderr how to connect, then serve stdio until EOF or HTTP until a signal."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from orchestra_mcp.hosted.serve import HOSTED_OPTIONS

    given = [name for name in (*HTTP_OPTIONS, "auth") if getattr(args, name) is not None]
    if args.transport == "stdio" and given:
        parser.error(f"--{given[0].replace('_', '-')} needs --transport http")
    hosted_given = [name for name in HOSTED_OPTIONS if getattr(args, name) is not None]
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("ORCHESTRA_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from orchestra.errors import OrchestraError

    settings = None
    if args.transport == "http":
        try:
            settings = http_settings(args)
        except OrchestraError as exc:
            print(f"orchestra-mcp: {exc}", file=sys.stderr)
            return 1
        from orchestra_mcp.http.settings import auth_configured

        if auth_configured(settings):
            if args.workspace:
                parser.error("--workspace serves one workspace without authentication; hosted mode (--auth) "
                             "serves the scopes of --data-dir")
            from orchestra_mcp.hosted.serve import serve_hosted

            return serve_hosted(args, settings)
    if hosted_given:
        parser.error(f"--{hosted_given[0].replace('_', '-')} needs --auth (hosted mode)")
    opened = _open_workspace(args.workspace, args.tools)
    if isinstance(opened, int):
        return opened
    app, choice, groups = opened
    from orchestra_mcp.server import create_server

    try:
        server = create_server(app, groups)
        if settings is not None:
            return _serve_http(app, choice, server, settings)
        print(connect_hint(str(choice.root), choice.source, interactive=sys.stdin.isatty(),
                           initialized=app.initialized), file=sys.stderr, flush=True)
        import anyio

        from orchestra_mcp.transport import serve_stdio

        anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    return 0


def http_settings(args: argparse.Namespace) -> HttpSettings:
    """The HTTP settings from the command line, validated; a non-loopback bind without auth is refused."""
    from orchestra_mcp.hosted.serve import AUTH_CHOICES
    from orchestra_mcp.http.settings import AUTH_ENV, HttpConfigError, HttpSettings, check_bind, validate

    values: dict[str, object] = {}
    for option, field in (("host", "host"), ("port", "port"), ("path", "path"), ("max_body_bytes", "max_body_bytes"),
                          ("max_inflight", "max_inflight"), ("request_timeout", "request_timeout_s"),
                          ("shutdown_grace", "shutdown_grace_s")):
        if getattr(args, option) is not None:
            values[field] = getattr(args, option)
    if args.allowed_host:
        values["allowed_hosts"] = tuple(args.allowed_host)
    if args.allowed_origin:
        values["allowed_origins"] = tuple(args.allowed_origin)
    auth = args.auth or os.environ.get(AUTH_ENV, "").strip() or None
    if auth is not None and auth not in AUTH_CHOICES:
        raise HttpConfigError(f"{AUTH_ENV} must be one of {', '.join(AUTH_CHOICES)}")
    values["auth"] = auth
    settings = validate(HttpSettings(**values))  # type: ignore[arg-type]
    check_bind(settings)
    return settings


def _open_workspace(workspace: str | None, tools: str | None) -> tuple[Orchestra, RootChoice, tuple[str, ...]] | int:
    from orchestra.errors import OrchestraError
    from orchestra.workspace.root import discover_root

    try:
        from orchestra.app import Orchestra

        choice = discover_root(workspace)
        app = Orchestra.attach(choice.root)  # creates nothing until the first write
    except OrchestraError as exc:
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1
    from orchestra.security.logging_filter import GuardLoggingFilter
    from orchestra_mcp.groups import parse_groups

    for handler in logging.getLogger().handlers:  # every log line passes the guard (sink: log)
        handler.addFilter(GuardLoggingFilter(app.guard))
    try:
        groups = parse_groups(tools or os.environ.get("ORCHESTRA_TOOLS") or app.config.mcp.tool_groups)
    except OrchestraError as exc:
        app.close()
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1
    return app, choice, groups


def _serve_http(app: Orchestra, choice: RootChoice, server: object, settings: HttpSettings) -> int:
    from orchestra.errors import OrchestraError
    from orchestra_mcp.http.app import build_http_app
    from orchestra_mcp.http.banner import http_connect_hint
    from orchestra_mcp.http.serve import bind, serve_http

    try:
        sock, settings = bind(settings)
    except OrchestraError as exc:
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1
    transport = build_http_app(server, settings=settings)  # type: ignore[arg-type]

    def ready() -> None:
        print(http_connect_hint(str(choice.root), choice.source, settings, initialized=app.initialized),
              file=sys.stderr, flush=True)

    return serve_http(transport, sock, on_ready=ready)


def connect_hint(root: str, source: str, *, interactive: bool, initialized: bool = True) -> str:
    """The stderr banner: one line naming the workspace; connection help when a person runs it."""
    exe = sys.argv[0] if os.path.isabs(sys.argv[0]) else os.path.abspath(sys.argv[0])
    command = exe if os.path.basename(exe).startswith("orchestra-mcp") else f"{sys.executable} -m orchestra_mcp"
    line = f"orchestra-mcp: serving workspace {root} (from {source}) over stdio"
    if not initialized:
        line += " (not initialized yet: the first write creates .agent-workflow/)"
    if not interactive:
        return line
    return (
        f"{line}; waiting for an MCP client.\n"
        f"  Claude Code: claude mcp add --scope project orchestra -- {command} --workspace {root}\n"
        f"  Codex:       codex mcp add orchestra -- {command} --workspace {root}\n"
        f"  Cursor/VS Code: see README.md (\"Connect a runtime\"). Stop with Ctrl-D or Ctrl-C."
    )


if __name__ == "__main__":
    raise SystemExit(main())
