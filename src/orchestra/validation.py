"""Turning pydantic validation errors into one short, user-safe sentence."""

from __future__ import annotations

from pydantic import ValidationError as PydanticValidationError


def describe_validation_error(exc: PydanticValidationError, subject: str) -> str:
    """``"invalid task: field 'id': String should match pattern ..."`` (input values are never echoed)."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or subject
        parts.append(f"field '{loc}': {err['msg']}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"invalid {subject}: " + "; ".join(parts) + more
