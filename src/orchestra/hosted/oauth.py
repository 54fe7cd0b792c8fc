"""OAuth 2.1 access tokens (JWT) verified as a resource server.

The issuer's JWKS is fetched with pyjwt's :class:`jwt.PyJWKClient`, cached for ``jwks_ttl_s`` and
refetched when a token names an unknown ``kid`` (key rotation; at most once per ``jwks_cooldown_s``).
A token passes when its signature verifies with an asymmetric algorithm of the allow-list (RS256,
ES256 — never ``none`` or an HMAC algorithm), ``iss`` is the configured issuer, ``aud`` contains the
resource URL, ``exp`` is in the future and ``nbf`` has passed (with a small leeway). Its scopes
(``scope`` as a space-separated string, or ``scp`` as a list) map to read/write/admin through
``<scope_prefix>read|write|admin``; tenant and workspace come from the configured claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt

from orchestra.errors import ValidationError
from orchestra.hosted.errors import ForbiddenError, UnauthorizedError
from orchestra.hosted.principal import Principal, Scope, check_scope_id

ALLOWED_ALGORITHMS = ("RS256", "ES256")
MAX_TOKEN_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """How access tokens are checked."""

    issuer: str
    resource: str
    jwks_uri: str
    tenant_claim: str = "tenant"
    workspace_claim: str = "workspace"
    scope_prefix: str = "orchestra:"
    leeway_s: float = 30.0
    jwks_ttl_s: float = 300.0
    jwks_cooldown_s: float = 30.0
    algorithms: tuple[str, ...] = field(default=ALLOWED_ALGORITHMS)

    def __post_init__(self) -> None:
        for name in ("issuer", "resource", "jwks_uri"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ValidationError(f"oauth {name} must be an http(s) URL")
        bad = [a for a in self.algorithms if a not in ALLOWED_ALGORITHMS]
        if bad or not self.algorithms:
            raise ValidationError(f"oauth algorithms must be among {', '.join(ALLOWED_ALGORITHMS)}")
        if not 0 <= self.leeway_s <= 300:
            raise ValidationError("oauth leeway must be 0..300 seconds")

    def scope_name(self, scope: Scope) -> str:
        """The OAuth scope string for ``scope``, e.g. ``orchestra:write``."""
        return f"{self.scope_prefix}{scope.label}"


class JwtVerifier:
    """Turns a bearer JWT into a :class:`Principal` (synchronous: call it off the event loop)."""

    def __init__(self, settings: OAuthSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_uri, cache_keys=False, lifespan=settings.jwks_ttl_s,
                                     timeout=10, cooldown_duration=settings.jwks_cooldown_s)

    def verify(self, token: str) -> Principal:
        """The principal, ``unauthorized`` for a token that fails any check, ``forbidden`` for a valid
        token that grants no Orchestra scope."""
        s = self.settings
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise UnauthorizedError("the access token is not valid")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in s.algorithms:
                raise UnauthorizedError("the access token's algorithm is not accepted")
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key=key.key, algorithms=list(s.algorithms), audience=s.resource, issuer=s.issuer,
                leeway=s.leeway_s, options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.PyJWKClientConnectionError:
            raise UnauthorizedError("the issuer's keys cannot be fetched right now") from None
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("the access token has expired") from None
        except jwt.InvalidAudienceError:
            raise UnauthorizedError("the access token is not for this resource") from None
        except jwt.InvalidIssuerError:
            raise UnauthorizedError("the access token is from another issuer") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise UnauthorizedError("the access token is not valid") from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        s = self.settings
        granted = _scopes(claims)
        levels = [scope for scope in Scope if s.scope_name(scope) in granted]
        if not levels:
            raise ForbiddenError("the access token grants no Orchestra scope",
                                 details={"required_scope": s.scope_name(Scope.READ)})
        try:
            tenant = check_scope_id(str(claims.get(s.tenant_claim, "")), "tenant claim")
            workspace = check_scope_id(str(claims.get(s.workspace_claim, "")), "workspace claim")
        except ValidationError:
            raise UnauthorizedError("the access token does not name a valid tenant and workspace") from None
        subject = str(claims.get("sub", ""))[:256]
        # limits and sessions belong to who holds the token, not to one token (a new jti resets nothing)
        credential = str(subject or claims.get("client_id") or claims.get("azp") or "")[:256]
        if not credential:
            raise UnauthorizedError("the access token has neither sub nor client_id")
        return Principal(tenant=tenant, workspace=workspace, scope=max(levels), credential_id=credential,
                         subject=subject, kind="oauth")


def _scopes(claims: dict[str, Any]) -> set[str]:
    raw = claims.get("scope")
    if isinstance(raw, str):
        return set(raw.split())
    listed = claims.get("scp")
    if isinstance(listed, list):
        return {str(item) for item in listed}
    if isinstance(listed, str):
        return set(listed.split())
    return set()
