"""Identifier fields must not carry secrets or personal data.

Ids, keys, roles, model names, actor ids and paths are stored raw, written into the
append-only audit log, sent to providers and turned into file names; they never pass the
redacting guard (redaction would change the id). So an identifier that matches any secret
or personal-data rule is refused with ``invalid_input`` before anything is written. The
refusal never repeats the value. Core input models use :data:`SafeId` on every identifier
field; services check loose strings with :func:`check_identifier`.
"""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from orchestra.errors import ValidationError
from orchestra.security.detectors import Detector
from orchestra.security.redaction import analyze
from orchestra.security.rules import DATA_RULES

MAX_IDENTIFIER_CHARS = 4096
SENSITIVE_ERROR_TYPE = "sensitive_identifier"
REFUSAL = "looks like a secret or personal data; identifiers are stored raw, so use an opaque id instead"


@functools.cache
def _detector() -> Detector:
    return Detector(DATA_RULES)


@functools.lru_cache(maxsize=4096)
def _sensitive(value: str) -> bool:
    analysis = analyze(_detector(), value)
    return bool(analysis.occurrences) or not analysis.converged


def is_sensitive_identifier(value: str) -> bool:
    """True when ``value`` matches a secret or personal-data rule (or is too long to judge)."""
    if len(value) > MAX_IDENTIFIER_CHARS:
        return True
    return _sensitive(value)


def check_identifier(value: str, field: str) -> str:
    """``value`` unchanged, or ``invalid_input`` naming ``field`` (never the value)."""
    if is_sensitive_identifier(value):
        raise ValidationError(f"{field} {REFUSAL}")
    return value


def _refuse_sensitive(value: str) -> str:
    if is_sensitive_identifier(value):
        raise PydanticCustomError(SENSITIVE_ERROR_TYPE, REFUSAL)
    return value


SafeId = AfterValidator(_refuse_sensitive)
"""Annotate an identifier field with it: ``Annotated[str, StringConstraints(...), SafeId]``."""

SafeStr = Annotated[str, SafeId]


def shown_id(value: str, limit: int = 64) -> str:
    """``value`` cut to ``limit`` for an error message, or a marker when it looks like a secret."""
    text = str(value)[:limit]
    return "[REDACTED_IDENTIFIER]" if is_sensitive_identifier(str(value)) or is_sensitive_identifier(text) else text
