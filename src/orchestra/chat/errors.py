"""Chat error codes (the original's codes where they exist, reference §4.2 and §4.5)."""

from __future__ import annotations

from orchestra.errors import ConflictError, NotFoundError, ValidationError


class InvalidRequestError(ValidationError):
    """A required field is missing or out of range."""

    code = "invalid_request"


class InvalidScopeError(ValidationError):
    """A scope field is missing or unsafe."""

    code = "invalid_scope"


class InvalidActorError(ValidationError):
    """The actor lacks a field its kind requires, or speaks for another session."""

    code = "invalid_actor"


class InvalidProvenanceError(ValidationError):
    """Provenance is inconsistent (e.g. tokens without their source)."""

    code = "invalid_provenance"


class ScopeMismatchError(ValidationError):
    """The record belongs to another scope than the request."""

    code = "scope_mismatch"


class InvalidCursorError(ValidationError):
    """A cursor was altered, or belongs to another scope, thread or listing."""

    code = "invalid_cursor"


class ThreadNotFoundError(NotFoundError):
    """No thread has that id (in that scope)."""

    code = "thread_not_found"


class ChatNotFoundError(NotFoundError):
    """A compliance selection matched nothing."""

    code = "not_found"


class IdempotencyConflictError(ConflictError):
    """The idempotency key was already used with a different payload."""

    code = "idempotency_conflict"


class ThreadDeletedError(ConflictError):
    """The thread is tombstoned; nothing more can be appended."""

    code = "thread_deleted"
