"""Opaque keyset cursors, bound to a listing, a scope and a thread, and signed with the workspace key.

A cursor is ``base64url(json payload) + "." + base64url(HMAC-SHA256(key, payload))[:22]``. The
payload holds the last position returned (never an offset), so a page stays correct while
messages are being appended. Decoding checks the signature first, then that the cursor belongs
to this listing, scope and thread; any mismatch is ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from orchestra.chat.errors import InvalidCursorError

MAX_CURSOR_CHARS = 512
_CONTEXT = b"orchestra-chat-cursor-v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and checks cursors with a key derived from the workspace key."""

    def __init__(self, workspace_key: bytes) -> None:
        self._key = hmac.new(workspace_key, _CONTEXT, hashlib.sha256).digest()

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())[:22]

    def encode(self, listing: str, scope_digest: str, thread_id: str | None, position: dict[str, Any]) -> str:
        """A cursor for the position after the last item of a page."""
        payload = {"l": listing, "s": scope_digest[:32], "t": thread_id, "p": position}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def decode(self, cursor: str, listing: str, scope_digest: str, thread_id: str | None) -> dict[str, Any]:
        """The position in ``cursor``; ``invalid_cursor`` when altered or bound to something else."""
        if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR_CHARS or cursor.count(".") != 1:
            raise InvalidCursorError("chat cursor is invalid for this scope")
        body, signature = cursor.split(".")
        if not hmac.compare_digest(self._sign(body), signature):
            raise InvalidCursorError("chat cursor was altered or was not issued by this workspace")
        try:
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError):
            raise InvalidCursorError("chat cursor is invalid for this scope") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("p"), dict):
            raise InvalidCursorError("chat cursor is invalid for this scope")
        if payload.get("l") != listing or payload.get("s") != scope_digest[:32] or payload.get("t") != thread_id:
            raise InvalidCursorError("chat cursor is invalid for this scope")
        position: dict[str, Any] = payload["p"]
        return position
