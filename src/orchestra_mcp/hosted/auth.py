"""Bearer credentials → principals, and the RFC 6750 / RFC 9728 challenge headers.

``Authenticator.authenticate`` is synchronous (it reads the control store or fetches a JWKS); the app
calls it off the event loop.
"""

from __future__ import annotations

from typing import Protocol

from orchestra.hosted.errors import UnauthorizedError
from orchestra.hosted.oauth import JwtVerifier
from orchestra.hosted.principal import Principal
from orchestra.hosted.tokens import TOKEN_PREFIX, TokenService

MAX_AUTHORIZATION_CHARS = 16_384


class Authenticator(Protocol):
    """Turns a bearer token into a principal or raises ``unauthorized`` / ``forbidden``."""

    def authenticate(self, token: str) -> Principal:
        """The principal the token stands for."""
        ...


class ApiTokenAuthenticator:
    """Orchestra API tokens (``orch_...``) from the control store."""

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def authenticate(self, token: str) -> Principal:
        """Verify an API token."""
        return self._tokens.verify(token)


class OAuthAuthenticator:
    """OAuth access tokens (JWT); API tokens too when a token service is given."""

    def __init__(self, verifier: JwtVerifier, tokens: TokenService | None = None) -> None:
        self._verifier = verifier
        self._tokens = tokens

    def authenticate(self, token: str) -> Principal:
        """Verify an API token by its prefix, anything else as a JWT."""
        if self._tokens is not None and token.startswith(TOKEN_PREFIX):
            return self._tokens.verify(token)
        return self._verifier.verify(token)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None when absent; ``unauthorized`` when
    the header is present but not a usable bearer credential."""
    if authorization is None:
        return None
    if len(authorization) > MAX_AUTHORIZATION_CHARS:
        raise UnauthorizedError("the Authorization header is too long")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise UnauthorizedError("use Authorization: Bearer <token>")
    return token


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', "'") + '"'


def challenge(metadata_url: str, *, error: str | None = None, description: str | None = None,
              scope: str | None = None) -> str:
    """A ``WWW-Authenticate: Bearer ...`` value (MCP authorization, RFC 6750 §3, RFC 9728 §5.1)."""
    parts = []
    if error:
        parts.append(f"error={_quoted(error)}")
    if description:
        parts.append(f"error_description={_quoted(description)}")
    if scope:
        parts.append(f"scope={_quoted(scope)}")
    parts.append(f"resource_metadata={_quoted(metadata_url)}")
    return "Bearer " + ", ".join(parts)
