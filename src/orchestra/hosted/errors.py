"""Coded errors of the hosted layer (the HTTP adapter maps them to 401, 403 and 429)."""

from __future__ import annotations

from orchestra.errors import OrchestraError


class UnauthorizedError(OrchestraError):
    """No credential, or one that is unknown, expired, revoked or fails verification."""

    code = "unauthorized"


class ForbiddenError(OrchestraError):
    """The principal lacks the scope the operation needs."""

    code = "forbidden"


class RateLimitedError(OrchestraError):
    """The principal is over its request rate or concurrency limit."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
