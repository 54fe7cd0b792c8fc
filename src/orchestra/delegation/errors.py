"""Delegation error codes."""

from __future__ import annotations

from orchestra.errors import ConflictError, NotFoundError, OrchestraError, ValidationError


class SessionNotFoundError(NotFoundError):
    """No delegation session has that id."""

    code = "session_not_found"


class InvalidTransitionError(ConflictError):
    """The session's status does not allow that update."""

    code = "invalid_transition"


class DelegationRejectedError(OrchestraError):
    """The guardrails refused the spawn request; nothing was written."""

    code = "delegation_rejected"


class RuntimeCannotSpawnError(ValidationError):
    """The selected runtime has no way to start sub-agents."""

    code = "runtime_cannot_spawn"


class IdempotencyConflictError(ConflictError):
    """The idempotency key was used before with a different request."""

    code = "idempotency_conflict"


class ResultContractError(ValidationError):
    """The completion result does not satisfy the return contract."""

    code = "result_contract_mismatch"
