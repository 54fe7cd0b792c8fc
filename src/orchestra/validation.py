"""Turning pydantic validation errors into one short, user-safe sentence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from orchestra.errors import ValidationError
from orchestra.security.identifiers import SENSITIVE_ERROR_TYPE

M = TypeVar("M", bound=BaseModel)


def describe_validation_error(exc: PydanticValidationError, subject: str, *, section: str = "") -> str:
    """``"<field>: <what is wrong>"`` for the first error, e.g. ``"id: string should match pattern ..."``
    (one line; input values are never echoed; ``subject`` names a problem with the whole value; ``section``,
    when given, prefixes the field path: ``"chat.maxMessages: ..."``)."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return f"{subject}: not valid"
    first = errors[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    if path and section:
        path = f"{section}.{path}"
    loc = path or subject
    message = " ".join(str(first["msg"]).split())
    message = message.removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{loc}: {message[:1].lower()}{message[1:]}{more}"


def parse_model(model: type[M], data: M | Mapping[str, Any], subject: str,
                error: type[ValidationError] = ValidationError) -> M:
    """``data`` as ``model``; a pydantic failure becomes ``error`` naming the fields, never the values."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        if any(e["type"] == SENSITIVE_ERROR_TYPE for e in exc.errors(include_url=False, include_input=False)):
            error = ValidationError  # one code for "this identifier is a secret", whatever the subject
        raise error(describe_validation_error(exc, subject)) from None
