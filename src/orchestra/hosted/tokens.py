"""API tokens: shown once, stored only as a keyed digest, revocable, expiring.

Format: ``orch_`` + 30 random base62 characters (~178 bits) + a 6-character base62 CRC32 of them, so a
scanner (and the guard's ``secret.orchestra.api-token`` rule) recognises one and a typo is refused
before any lookup. The store keeps ``HMAC-SHA256(server key, token)`` only; the server key lives in
``<data-dir>/keys/token-hmac.key`` (created once, mode 0600), or, with a PostgreSQL control store, wrapped
in it (:mod:`orchestra.hosted.control_open`). A lookup is by digest and the digest is compared in constant
time. Creation, revocation and expiry use the control store's clock (on PostgreSQL the database server's,
one clock for every machine) unless a test injects ``clock``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from orchestra.errors import NotFoundError, ValidationError
from orchestra.hosted.control import Control, Transaction
from orchestra.hosted.errors import UnauthorizedError
from orchestra.hosted.principal import Principal, Scope, check_scope_id
from orchestra.security.opaque_ids import opaque_id
from orchestra.security.vendor_rules import base62_crc32
from orchestra.workspace.secret_key import load_or_create_key

TOKEN_PREFIX = "orch_"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TOKEN_PATTERN = re.compile(r"^orch_[0-9A-Za-z]{36}$")
TOKEN_ID_PATTERN = re.compile(r"^tok_[0-9a-f]{16}$")
MAX_TTL_S = 366 * 86400
MAX_LABEL_CHARS = 120
_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` in seconds (1 s .. 366 d) or ``invalid_input``."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValidationError("expires must be a number and a unit s, m, h, d or w, e.g. 30d")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not 1 <= seconds <= MAX_TTL_S:
        raise ValidationError("expires must be between 1s and 366d")
    return seconds


def new_token() -> str:
    """A fresh token with its checksum."""
    body = "".join(secrets.choice(_BASE62) for _ in range(30))
    return f"{TOKEN_PREFIX}{body}{base62_crc32(body)}"


def well_formed(token: str) -> bool:
    """Right prefix, length, alphabet and checksum (says nothing about validity)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return False
    body = token[len(TOKEN_PREFIX):]
    return hmac.compare_digest(base62_crc32(body[:30]), body[30:])


class TokenInfo(BaseModel):
    """A token's record (never its value)."""

    token_id: str = Field(description="Stable id (tok_...), for list and revoke.")
    tenant: str
    workspace: str
    scope: str = Field(description="read, write or admin.")
    label: str = ""
    created_at: float = Field(description="Unix seconds.")
    expires_at: float = Field(description="Unix seconds.")
    revoked_at: float | None = None
    status: str = Field(description="active, expired or revoked.")


class CreatedToken(BaseModel):
    """A new token: ``token`` is shown this once and never stored."""

    token: str
    info: TokenInfo


class TokenService:
    """Create, list, revoke and verify API tokens in the control store."""

    def __init__(self, control: Control, key: bytes, clock: Callable[[], float] | None = None) -> None:
        self._control = control
        self._key = key
        self._clock = clock

    @classmethod
    def open_key(cls, data_dir: Path) -> bytes:
        """The server's token key under ``<data-dir>/keys/``, created on first use (SQLite control store)."""
        return load_or_create_key(data_dir / "keys" / "token-hmac.key")

    def _now(self, tx: Transaction) -> float:
        return self._clock() if self._clock is not None else tx.now()

    def digest(self, token: str) -> str:
        """``HMAC-SHA256(key, token)`` in hex."""
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def create(self, tenant: str, workspace: str, scope: str, expires: str, label: str = "") -> CreatedToken:
        """A new token for ``tenant``/``workspace`` with ``scope``, valid for ``expires`` (e.g. ``30d``)."""
        check_scope_id(tenant, "tenant")
        check_scope_id(workspace, "workspace")
        granted = Scope.parse(scope)
        ttl = parse_duration(expires)
        label = " ".join(label.split())
        if len(label) > MAX_LABEL_CHARS:
            raise ValidationError(f"label must be at most {MAX_LABEL_CHARS} characters")
        if label:
            from orchestra.security.identifiers import check_identifier

            check_identifier(label, "label")
        token = new_token()
        token_id = opaque_id("tok_", 8)
        with self._control.write() as tx:
            now = self._now(tx)
            tx.execute("INSERT INTO api_tokens (token_id, digest, tenant, workspace, scope, label, created_at, "
                       "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (token_id, self.digest(token), tenant, workspace, granted.label, label, now, now + ttl))
        return CreatedToken(token=token, info=self._info((token_id, tenant, workspace, granted.label, label, now,
                                                          now + ttl, None), now))

    def list(self, tenant: str | None = None, workspace: str | None = None) -> list[TokenInfo]:
        """Tokens, newest first, optionally of one tenant (and workspace)."""
        sql = ("SELECT token_id, tenant, workspace, scope, label, created_at, expires_at, revoked_at "
               "FROM api_tokens")
        where, params = [], []
        if tenant is not None:
            where.append("tenant = ?")
            params.append(check_scope_id(tenant, "tenant"))
        if workspace is not None:
            where.append("workspace = ?")
            params.append(check_scope_id(workspace, "workspace"))
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._control.read() as tx:
            rows = tx.fetchall(sql + " ORDER BY created_at DESC, token_id", params)
            now = self._now(tx)
        return [self._info(row, now) for row in rows]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token (a repeat keeps the first revocation time)."""
        if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.fullmatch(token_id):
            raise ValidationError("token id must look like tok_ and 16 hex digits")
        with self._control.write() as tx:
            now = self._now(tx)
            tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                       (now, token_id))
            row = tx.fetchone("SELECT token_id, tenant, workspace, scope, label, created_at, expires_at, "
                              "revoked_at FROM api_tokens WHERE token_id = ?", (token_id,))
        if row is None:
            raise NotFoundError("no such token")
        return self._info(row, now)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token, or ``unauthorized`` (unknown, expired, revoked, malformed)."""
        if not isinstance(token, str) or not well_formed(token):
            raise UnauthorizedError("the token is not valid")
        digest = self.digest(token)
        with self._control.read() as tx:
            row = tx.fetchone("SELECT token_id, digest, tenant, workspace, scope, expires_at, revoked_at "
                              "FROM api_tokens WHERE digest = ?", (digest,))
            now = self._now(tx)
        if row is None or not hmac.compare_digest(str(row[1]), digest):
            raise UnauthorizedError("the token is not valid")
        token_id, _, tenant, workspace, scope, expires_at, revoked_at = row
        if revoked_at is not None:
            raise UnauthorizedError("the token was revoked")
        if float(expires_at) <= now:
            raise UnauthorizedError("the token has expired")
        return Principal(tenant=str(tenant), workspace=str(workspace), scope=Scope.parse(str(scope)),
                         credential_id=str(token_id), subject=str(token_id), kind="api_token")

    @staticmethod
    def _info(row: tuple[object, ...], now: float) -> TokenInfo:
        token_id, tenant, workspace, scope, label, created, expires, revoked = row
        status = "revoked" if revoked is not None else "expired" if float(str(expires)) <= now else "active"
        return TokenInfo(token_id=str(token_id), tenant=str(tenant), workspace=str(workspace), scope=str(scope),
                         label=str(label), created_at=float(str(created)), expires_at=float(str(expires)),
                         revoked_at=None if revoked is None else float(str(revoked)), status=status)
