"""Hosted mode from the command line: ``orchestra-mcp --transport http --auth tokens|oauth --data-dir D``.

:func:`add_hosted_arguments` adds the hosted options to ``orchestra-mcp``'s parser; when authentication
is configured (``--auth`` or ``ORCHESTRA_AUTH``) :func:`serve_hosted` builds the hosted app
(:func:`~orchestra_mcp.hosted.app.create_hosted_app`) and serves it behind the HTTP transport's layers
(:class:`~orchestra_mcp.http.app.TransportApp`: Host/Origin checks, in-flight limit, request deadline,
graceful SIGTERM). Each scope's state is a SQLite file under the data dir, or its own schema in the
PostgreSQL database ``ORCHESTRA_DATABASE_URL`` names (:mod:`orchestra.hosted.scopes`); the control state
(tokens, admission, keys) follows: ``control.db`` in the data dir, or a control schema of that database
shared by servers on several machines (:mod:`orchestra.hosted.control_open`).

``python -m orchestra_mcp.hosted`` is an alias (``--transport http``, ``--auth tokens`` unless given).
Logs go to stderr through the guard.
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from orchestra_mcp.http.settings import HttpSettings

DATA_DIR_ENV = "ORCHESTRA_DATA_DIR"
AUTH_CHOICES = ("tokens", "oauth")
HOSTED_OPTIONS = ("data_dir", "resource_url", "oauth_issuer", "oauth_jwks_uri", "oauth_tenant_claim",
                  "oauth_workspace_claim", "oauth_scope_prefix", "oauth_jwks_ttl", "oauth_jwks_cooldown", "rate",
                  "period", "concurrency", "lease_ttl", "max_scopes")
"""Options that mean something only in hosted mode (``--auth``)."""
_DEFAULTS: dict[str, object] = {"oauth_tenant_claim": "tenant", "oauth_workspace_claim": "workspace",
                                "oauth_scope_prefix": "orchestra:", "oauth_jwks_ttl": 300.0,
                                "oauth_jwks_cooldown": 30.0, "rate": 60, "period": 60.0, "concurrency": 4,
                                "lease_ttl": 30.0, "max_scopes": 64}


def add_hosted_arguments(parser: argparse.ArgumentParser) -> None:
    """The hosted options (all default to ``None`` so the caller can tell which were given)."""
    hosted = parser.add_argument_group("hosted mode (with --transport http --auth; see docs/hosted.md)")
    hosted.add_argument("--auth", choices=AUTH_CHOICES, default=None,
                        help="authenticate every request: tokens (Orchestra API tokens) or oauth (JWT access "
                             "tokens from --oauth-issuer; API tokens also accepted); default ORCHESTRA_AUTH. "
                             "Serves the tenant scopes of --data-dir instead of one workspace")
    hosted.add_argument("--data-dir", default=None,
                        help=f"folder of scopes/ (and, without ORCHESTRA_DATABASE_URL, control.db and keys/; "
                             f"default {DATA_DIR_ENV})")
    hosted.add_argument("--resource-url", default=None,
                        help="public URL of the MCP endpoint (the token audience; default http://HOST:PORT/PATH)")
    hosted.add_argument("--oauth-issuer", default=None, help="the authorization server's issuer URL (iss)")
    hosted.add_argument("--oauth-jwks-uri", default=None, help="the issuer's JWKS URL")
    hosted.add_argument("--oauth-tenant-claim", default=None, help="claim holding the tenant id (default tenant)")
    hosted.add_argument("--oauth-workspace-claim", default=None,
                        help="claim holding the workspace id (default workspace)")
    hosted.add_argument("--oauth-scope-prefix", default=None, help="scope prefix (default orchestra:)")
    hosted.add_argument("--oauth-jwks-ttl", type=float, default=None, help="JWKS cache seconds (default 300)")
    hosted.add_argument("--oauth-jwks-cooldown", type=float, default=None,
                        help="least seconds between refetches for an unknown kid (default 30)")
    hosted.add_argument("--rate", type=int, default=None, help="requests per period per principal (default 60)")
    hosted.add_argument("--period", type=float, default=None, help="rate period in seconds (default 60)")
    hosted.add_argument("--concurrency", type=int, default=None,
                        help="requests in flight per principal (default 4)")
    hosted.add_argument("--lease-ttl", type=float, default=None,
                        help="seconds a concurrency slot outlives a killed server (default 30)")
    hosted.add_argument("--max-scopes", type=int, default=None, help="idle scopes kept open (default 64)")


def option(args: argparse.Namespace, name: str) -> Any:
    """A hosted option's value, or its default when not given."""
    value = getattr(args, name, None)
    return _DEFAULTS.get(name) if value is None else value


def serve_hosted(args: argparse.Namespace, settings: HttpSettings) -> int:
    """Bind, build the hosted app for the bound port, serve until SIGTERM/SIGINT (0 after a graceful stop)."""
    from orchestra.errors import OrchestraError
    from orchestra_mcp.http.app import TransportApp
    from orchestra_mcp.http.serve import bind, serve_http

    try:
        sock, settings = bind(settings)
    except OrchestraError as exc:
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1
    try:
        hosted, description = build_hosted_app(args, settings)
    except (OrchestraError, ValueError) as exc:
        sock.close()
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 2
    scopes = hosted.state.scopes
    transport = TransportApp(hosted, settings, read_body=False,
                             health_details=lambda: {"open_scopes": len(scopes.open_keys)})

    def ready() -> None:
        print(f"orchestra-mcp: serving {description}", file=sys.stderr, flush=True)

    return serve_http(transport, sock, on_ready=ready)


def build_hosted_app(args: argparse.Namespace, settings: HttpSettings) -> tuple[Starlette, str]:
    """The hosted ASGI app for parsed options and bound settings, and a line describing it (raises
    ``OrchestraError``/``ValueError`` on bad settings)."""
    from orchestra.errors import ValidationError
    from orchestra.hosted.admission import AdmissionLimits, AdmissionService
    from orchestra.hosted.control_open import open_control
    from orchestra.hosted.oauth import JwtVerifier, OAuthSettings
    from orchestra.hosted.scopes import scope_opener
    from orchestra.hosted.tokens import TokenService
    from orchestra.security.guard import SecurityGuard
    from orchestra.security.logging_filter import GuardLoggingFilter
    from orchestra_mcp.groups import parse_groups
    from orchestra_mcp.hosted.app import HostedSettings, create_hosted_app
    from orchestra_mcp.hosted.auth import ApiTokenAuthenticator, Authenticator, OAuthAuthenticator
    from orchestra_mcp.http.app import sdk_security
    from orchestra_mcp.http.timeouts import install_request_deadline

    folder = args.data_dir or os.environ.get(DATA_DIR_ENV, "").strip()
    if not folder:
        raise ValidationError(f"hosted mode (--auth) needs --data-dir or {DATA_DIR_ENV}")
    data_dir = Path(folder).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    resource_url = args.resource_url or settings.url
    groups = tuple(parse_groups(args.tools or "all"))
    limits = AdmissionLimits(rate=int(option(args, "rate")), period_s=float(option(args, "period")),
                             concurrency=int(option(args, "concurrency")),
                             body_bytes=settings.max_body_bytes,
                             lease_ttl_s=float(option(args, "lease_ttl")))
    control = open_control(data_dir)  # PostgreSQL (shared by every machine) when ORCHESTRA_DATABASE_URL is set
    try:
        key = control.token_key
        guard = SecurityGuard(hmac.new(key, b"orchestra log guard", hashlib.sha256).digest())
        for handler in logging.getLogger().handlers:
            handler.addFilter(GuardLoggingFilter(guard))
        opener = scope_opener(data_dir, keys=control.keys)  # one schema per scope on PostgreSQL
        tokens = TokenService(control.store, key)
        oauth: OAuthSettings | None = None
        authenticator: Authenticator = ApiTokenAuthenticator(tokens)
        if settings.auth == "oauth":
            if not args.oauth_issuer or not args.oauth_jwks_uri:
                raise ValidationError("--auth oauth needs --oauth-issuer and --oauth-jwks-uri")
            oauth = OAuthSettings(
                issuer=args.oauth_issuer, resource=resource_url, jwks_uri=args.oauth_jwks_uri,
                tenant_claim=str(option(args, "oauth_tenant_claim")),
                workspace_claim=str(option(args, "oauth_workspace_claim")),
                scope_prefix=str(option(args, "oauth_scope_prefix")),
                jwks_ttl_s=float(option(args, "oauth_jwks_ttl")),
                jwks_cooldown_s=float(option(args, "oauth_jwks_cooldown")))
            authenticator = OAuthAuthenticator(JwtVerifier(oauth), tokens)
        timeout = settings.request_timeout_s
        hosted = HostedSettings(
            resource_url=resource_url, authenticator=authenticator, admission=AdmissionService(control.store, limits),
            opener=opener, oauth=oauth, groups=groups, max_scopes=int(option(args, "max_scopes")),
            security=sdk_security(settings), on_close=[control.close], path=settings.path,
            body_timeout_s=settings.body_timeout_s,
            prepare_server=lambda server: install_request_deadline(server, timeout))
        app = create_hosted_app(hosted)
    except BaseException:
        control.close()
        raise
    store = "PostgreSQL (one schema per scope)" if control.shared else "SQLite"
    return app, (f"hosted scopes of {data_dir} at {resource_url} (auth: {settings.auth}; state: {store}; "
                 f"control: {control.store.location})")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m orchestra_mcp.hosted [options]``: ``orchestra-mcp --transport http`` with ``--auth tokens``
    unless ``--auth`` is given."""
    from orchestra_mcp.__main__ import main as orchestra_mcp

    given = list(sys.argv[1:] if argv is None else argv)
    if "--transport" not in given:
        given = ["--transport", "http", *given]
    if not any(arg == "--auth" or arg.startswith("--auth=") for arg in given):
        given += ["--auth", "tokens"]
    return orchestra_mcp(given)


if __name__ == "__main__":
    raise SystemExit(main())
