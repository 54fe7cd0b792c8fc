"""The keyed fingerprint that binds an approval to the exact operation it approves."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from orchestra.errors import ValidationError
from orchestra.events.chain import canonical_json

_DOMAIN = b"orchestra approvals v1"


def approval_key(workspace_key: bytes) -> bytes:
    """A key for approval fingerprints, derived from the workspace key (never the key itself)."""
    return hmac.new(workspace_key, _DOMAIN, hashlib.sha256).digest()


def fingerprint(key: bytes, action: str, arguments: dict[str, Any]) -> str:
    """HMAC-SHA256 (hex) of the canonical JSON of the action and its arguments: the same operation always
    gives the same digest, any changed argument a different one, and without the key nobody can tell
    which arguments a digest stands for."""
    try:
        body = canonical_json({"action": action, "arguments": arguments})
    except (TypeError, ValueError):
        raise ValidationError("approval arguments must be JSON values") from None
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
