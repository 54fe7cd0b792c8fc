"""Who a call runs as: a tenant, a workspace within it, the scopes granted, and the credential.

Scopes are ordered: ``admin`` includes ``write``, which includes ``read``. Which scope an operation
needs is decided here from what the operation is (never from its arguments): reads need ``read``,
changes need ``write``, destructive changes (deleting, shredding) need ``admin``.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from enum import IntEnum

from orchestra.errors import ValidationError
from orchestra.hosted.errors import ForbiddenError
from orchestra.security.identifiers import check_identifier

SCOPE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""Tenant and workspace ids: lower-case letters, digits, '-' and '_' (they name folders and schemas)."""


class Scope(IntEnum):
    """A granted level; a higher one includes the lower ones."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """``read``, ``write`` or ``admin``."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Scope:
        """``read|write|admin`` (case-insensitive) or ``invalid_input``."""
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValidationError("scope must be one of read, write, admin") from None


def check_scope_id(value: str, field_name: str) -> str:
    """A tenant or workspace id, or ``invalid_input`` naming the field (never the value)."""
    if not isinstance(value, str) or not SCOPE_ID_PATTERN.fullmatch(value):
        raise ValidationError(f"{field_name} must match [a-z0-9][a-z0-9_-]{{0,62}}")
    return check_identifier(value, field_name)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``credential_id`` names the token (API token id or the JWT's ``jti``/
    ``sub``); ``subject`` is who holds it."""

    tenant: str
    workspace: str
    scope: Scope
    credential_id: str
    subject: str = ""
    kind: str = "api_token"

    @property
    def scope_key(self) -> str:
        """``<tenant>/<workspace>``: the scope this principal is served in."""
        return f"{self.tenant}/{self.workspace}"

    @property
    def admission_key(self) -> str:
        """The key its rate and concurrency limits are counted under."""
        return f"{self.kind}:{self.tenant}/{self.workspace}:{self.credential_id}"

    def allows(self, needed: Scope) -> bool:
        """Whether the granted scope covers ``needed``."""
        return self.scope >= needed

    def require(self, needed: Scope, operation: str) -> None:
        """``forbidden`` unless the granted scope covers ``needed``."""
        if not self.allows(needed):
            raise ForbiddenError(f"{operation} needs the '{needed.label}' scope; this credential has "
                                 f"'{self.scope.label}'", details={"required_scope": needed.label})


def local_principal() -> Principal:
    """The local user on stdio: every scope, in the local tenant and workspace."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return Principal(tenant="local", workspace="local", scope=Scope.ADMIN, credential_id="local",
                     subject=user, kind="local")


def required_scope(*, read_only: bool, destructive: bool) -> Scope:
    """The scope an operation needs, from what it does."""
    if read_only:
        return Scope.READ
    return Scope.ADMIN if destructive else Scope.WRITE
