"""Turning pydantic validation errors into one short, user-safe sentence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from orchestra.errors import ValidationError
from orchestra.security.identifiers import SENSITIVE_ERROR_TYPE

M = TypeVar("M", bound=BaseModel)


def describe_validation_error(exc: PydanticValidationError, subject: str) -> str:
    """``"invalid task: field 'id': String should match pattern ..."`` (input values are never echoed)."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or subject
        parts.append(f"field '{loc}': {err['msg']}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"invalid {subject}: " + "; ".join(parts) + more


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
