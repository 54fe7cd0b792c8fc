"""Reading an audit anchor: the JSON ``orchestra audit head`` prints, or ``SEQ:MAC``."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError

from orchestra.errors import ValidationError
from orchestra.events.chain import GENESIS_HASH
from orchestra.events.model import AuditAnchor

MAX_ANCHOR_BYTES = 4096


def parse_anchor(text: str) -> AuditAnchor:
    """An anchor from ``{"seq": N, "mac": "<64 hex>"}`` or ``N:<64 hex>``; raises ``invalid_input``."""
    raw = text.strip()
    if len(raw) > MAX_ANCHOR_BYTES:
        raise ValidationError("the anchor is too long")
    try:
        if raw.startswith("{"):
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError
            anchor = AuditAnchor.model_validate({"seq": data.get("seq"), "mac": data.get("mac")})
        else:
            seq, _, mac = raw.partition(":")
            if not seq.isascii() or not seq.isdigit():
                raise ValueError
            anchor = AuditAnchor(seq=int(seq), mac=mac)
    except (ValueError, PydanticValidationError):
        raise ValidationError('the anchor must be {"seq": N, "mac": "<64 hex>"} (orchestra audit head) '
                              "or N:<64 hex>") from None
    if anchor.seq == 0 and anchor.mac != GENESIS_HASH:
        raise ValidationError("an anchor at event 0 must carry the genesis value (64 zeros)")
    return anchor


def load_anchor(value: str) -> AuditAnchor:
    """``value`` is a file holding an anchor, or the anchor itself."""
    path = Path(value)
    try:
        if path.is_file():
            with path.open("rb") as handle:
                data = handle.read(MAX_ANCHOR_BYTES + 1)
            return parse_anchor(data.decode("utf-8", errors="replace"))
    except OSError:
        raise ValidationError("the anchor file cannot be read") from None
    return parse_anchor(value)
