"""Parsing and checking what callers pass to the chat service (coded errors, values never echoed)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, TypeVar

from pydantic import BaseModel

from orchestra.chat.errors import (
    InvalidActorError,
    InvalidProvenanceError,
    InvalidRequestError,
    InvalidScopeError,
)
from orchestra.chat.records import (
    ID_PATTERN,
    REQUIRED_ACTOR_FIELDS,
    SESSION_BOUND_KINDS,
    ChatActor,
    ChatReference,
    ChatScope,
    ProvenanceInput,
)
from orchestra.errors import ValidationError
from orchestra.events.chain import canonical_json
from orchestra.security.identifiers import check_identifier
from orchestra.text import strip_controls
from orchestra.validation import parse_model

M = TypeVar("M", bound=BaseModel)

MAX_TEXT_CHARS = 100_000
MAX_TITLE_CHARS = 200
MAX_REFERENCES = 32
MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 1, 100, 50
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$")
REASON_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
ACTOR_ID_RE = re.compile(ID_PATTERN)


def parse(model: type[M], data: M | dict[str, Any], error: type[ValidationError], subject: str) -> M:
    """``data`` as ``model``; a pydantic failure becomes ``error`` naming the fields, not the values."""
    return parse_model(model, data, subject, error)


def parse_scope(data: ChatScope | dict[str, Any]) -> ChatScope:
    """A scope; ``invalid_scope`` when a field is missing or unsafe."""
    return parse(ChatScope, data, InvalidScopeError, "chat scope")


def parse_actor(data: ChatActor | dict[str, Any], scope: ChatScope) -> ChatActor:
    """An actor with every field its kind requires, speaking for the scope's session if session-bound."""
    actor = parse(ChatActor, data, InvalidActorError, "chat actor")
    missing = [name for name in REQUIRED_ACTOR_FIELDS[actor.kind] if getattr(actor, name) is None]
    if missing:
        raise InvalidActorError(f"chat actor of kind {actor.kind} needs: {', '.join(missing)}")
    if actor.kind in SESSION_BOUND_KINDS and actor.session_id != scope.session_id:
        raise InvalidActorError("actor session must match chat scope session")
    return actor


def parse_provenance(data: ProvenanceInput | dict[str, Any] | None) -> ProvenanceInput:
    """Provenance whose token and cost figures name their source."""
    provenance = parse(ProvenanceInput, data or {}, InvalidProvenanceError, "chat provenance")
    has_tokens = provenance.input_tokens is not None or provenance.output_tokens is not None
    if has_tokens and provenance.usage_source in (None, "unavailable"):
        raise InvalidProvenanceError("token counts need usage_source (provider, runtime or estimated)")
    if provenance.estimated_cost_usd is not None and provenance.cost_source in (None, "unavailable"):
        raise InvalidProvenanceError("a cost needs cost_source (provider, pricing_estimate or free)")
    return provenance


def parse_references(data: list[ChatReference] | list[dict[str, Any]] | None) -> list[ChatReference]:
    """At most 32 references."""
    items: list[ChatReference | dict[str, Any]] = list(data or [])
    if len(items) > MAX_REFERENCES:
        raise InvalidRequestError(f"at most {MAX_REFERENCES} references")
    return [parse(ChatReference, item, InvalidRequestError, "chat reference") for item in items]


def check_title(text: str, *, name: str, max_chars: int) -> str:
    """A one-line title within ``max_chars``, without control characters or escape sequences."""
    return check_text(strip_controls(text) if isinstance(text, str) else text, name=name, max_chars=max_chars)


def check_text(text: str, *, name: str, max_chars: int) -> str:
    """Non-blank text within ``max_chars`` (the value is kept as given)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequestError(f"{name} is required")
    if len(text) > max_chars:
        raise InvalidRequestError(f"{name} is longer than {max_chars} characters")
    return text


def check_idempotency_key(key: str | None) -> str:
    """A printable ASCII key of 1-255 characters, required for appends."""
    value = (key or "").strip()
    if not value:
        raise InvalidRequestError("idempotencyKey is required")
    if not IDEMPOTENCY_KEY_RE.match(value):
        raise InvalidRequestError("idempotencyKey must be 1-255 printable ASCII characters")
    return check_identifier(value, "idempotencyKey")


def check_limit(limit: int) -> int:
    """A page size in 1..100; anything else is an error (not a silent default)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit must be an integer between {MIN_LIMIT} and {MAX_LIMIT}")
    return limit


def check_reason_code(code: str) -> str:
    """A snake_case reason code."""
    if not isinstance(code, str) or not REASON_CODE_RE.match(code):
        raise InvalidRequestError("reason_code must be snake_case, 1-64 characters")
    return check_identifier(code, "reason_code")


def check_role(role: str) -> str:
    """A lowercase role id."""
    if not isinstance(role, str) or not ROLE_RE.match(role):
        raise InvalidRequestError("actor role must be lowercase letters, digits, '_' or '-'")
    return check_identifier(role, "actor role")


def check_actor_id(actor_id: str) -> str:
    """An actor id as the chat records accept it (``Identifier``), never a secret or personal data."""
    if not isinstance(actor_id, str) or not ACTOR_ID_RE.match(actor_id):
        raise InvalidRequestError("actor_id must be 1-128 characters, no control characters or outer spaces")
    return check_identifier(actor_id, "actor_id")


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 hex over parts joined by U+001F (never a plain hash of content)."""
    return hmac.new(key, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def body_digest(key: bytes, body: dict[str, Any]) -> str:
    """Keyed digest of an append's canonical body (raw text, actor, provenance, references)."""
    return keyed_digest(key, "chat-body-v1", canonical_json(body))
