"""``python -m orchestra_mcp.hosted``: the hosted server (streamable HTTP, authenticated, per-scope).

The lead folds these options into ``orchestra-mcp --transport http --auth tokens|oauth``; until then
this is the hosted entry point. Logs go to stderr through the guard.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="orchestra-mcp-hosted",
                                     description="Orchestra MCP hosted server (streamable HTTP, authenticated).")
    parser.add_argument("--data-dir", required=True, help="folder of control.db, keys/ and scopes/")
    parser.add_argument("--auth", choices=("tokens", "oauth"), default="tokens",
                        help="tokens: Orchestra API tokens; oauth: JWT access tokens (API tokens also accepted)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--resource-url", default=None,
                        help="public URL of the MCP endpoint (the token audience; default http://HOST:PORT/mcp)")
    parser.add_argument("--allowed-host", action="append", default=[],
                        help="Host header value to accept besides loopback (repeat; DNS-rebinding protection)")
    parser.add_argument("--oauth-issuer", default=None, help="the authorization server's issuer URL (iss)")
    parser.add_argument("--oauth-jwks-uri", default=None, help="the issuer's JWKS URL")
    parser.add_argument("--oauth-tenant-claim", default="tenant", help="claim holding the tenant id")
    parser.add_argument("--oauth-workspace-claim", default="workspace", help="claim holding the workspace id")
    parser.add_argument("--oauth-scope-prefix", default="orchestra:", help="scope prefix (default orchestra:)")
    parser.add_argument("--oauth-jwks-ttl", type=float, default=300.0, help="JWKS cache seconds (default 300)")
    parser.add_argument("--oauth-jwks-cooldown", type=float, default=30.0,
                        help="least seconds between refetches for an unknown kid (default 30)")
    parser.add_argument("--rate", type=int, default=60, help="requests per period per principal (default 60)")
    parser.add_argument("--period", type=float, default=60.0, help="rate period in seconds (default 60)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per principal (default 4)")
    parser.add_argument("--body-limit", type=int, default=64 * 1024, help="request body bytes (default 65536)")
    parser.add_argument("--lease-ttl", type=float, default=30.0,
                        help="seconds a concurrency slot outlives a killed server (default 30)")
    parser.add_argument("--max-scopes", type=int, default=64, help="idle scopes kept open (default 64)")
    parser.add_argument("--tools", default="all", help="tool groups served in every scope (default all)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build the app from the options and serve it with uvicorn until interrupted."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("ORCHESTRA_LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from orchestra.errors import OrchestraError

    try:
        app = build_app(args)
    except (OrchestraError, ValueError) as exc:
        print(f"orchestra-mcp-hosted: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    print(f"orchestra-mcp-hosted: serving {args.resource_url} (auth: {args.auth}) from {args.data_dir}",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=10)
    return 0


def build_app(args: argparse.Namespace) -> Starlette:
    """The ASGI app for parsed options (raises ``OrchestraError``/``ValueError`` on bad settings)."""
    from mcp.server.transport_security import TransportSecuritySettings

    from orchestra.errors import ValidationError
    from orchestra.hosted.admission import AdmissionLimits, AdmissionService
    from orchestra.hosted.control import ControlStore
    from orchestra.hosted.oauth import JwtVerifier, OAuthSettings
    from orchestra.hosted.scopes import sqlite_scope_opener
    from orchestra.hosted.tokens import TokenService
    from orchestra.security.guard import SecurityGuard
    from orchestra.security.logging_filter import GuardLoggingFilter
    from orchestra_mcp.groups import parse_groups
    from orchestra_mcp.hosted.app import HostedSettings, create_hosted_app
    from orchestra_mcp.hosted.auth import ApiTokenAuthenticator, Authenticator, OAuthAuthenticator

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    host_port = f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
    args.resource_url = args.resource_url or f"http://{host_port}/mcp"
    key = TokenService.open_key(data_dir)
    guard = SecurityGuard(hmac.new(key, b"orchestra log guard", hashlib.sha256).digest())
    for handler in logging.getLogger().handlers:
        handler.addFilter(GuardLoggingFilter(guard))
    control = ControlStore(data_dir / "control.db")
    tokens = TokenService(control, key)
    limits = AdmissionLimits(rate=args.rate, period_s=args.period, concurrency=args.concurrency,
                             body_bytes=args.body_limit, lease_ttl_s=args.lease_ttl)
    oauth: OAuthSettings | None = None
    authenticator: Authenticator = ApiTokenAuthenticator(tokens)
    if args.auth == "oauth":
        if not args.oauth_issuer or not args.oauth_jwks_uri:
            raise ValidationError("--auth oauth needs --oauth-issuer and --oauth-jwks-uri")
        oauth = OAuthSettings(issuer=args.oauth_issuer, resource=args.resource_url, jwks_uri=args.oauth_jwks_uri,
                              tenant_claim=args.oauth_tenant_claim, workspace_claim=args.oauth_workspace_claim,
                              scope_prefix=args.oauth_scope_prefix, jwks_ttl_s=args.oauth_jwks_ttl,
                              jwks_cooldown_s=args.oauth_jwks_cooldown)
        authenticator = OAuthAuthenticator(JwtVerifier(oauth), tokens)
    allowed = [f"{h}:*" for h in ("127.0.0.1", "localhost", "[::1]")] + list(args.allowed_host)
    origins = [f"http://{h}:*" for h in ("127.0.0.1", "localhost", "[::1]")]
    origins += [f"https://{h}" for h in args.allowed_host]
    security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=allowed,
                                         allowed_origins=origins)
    settings = HostedSettings(resource_url=args.resource_url, authenticator=authenticator,
                              admission=AdmissionService(control, limits), opener=sqlite_scope_opener(data_dir),
                              oauth=oauth, groups=tuple(parse_groups(args.tools)), max_scopes=args.max_scopes,
                              security=security, on_close=[control.close])
    return create_hosted_app(settings)


if __name__ == "__main__":
    raise SystemExit(main())
