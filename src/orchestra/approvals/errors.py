"""Errors of the approval service (stable codes; messages carry ids and the human path, never content)."""

from __future__ import annotations

from orchestra.errors import ConflictError, NotFoundError, OrchestraError


class ApprovalRequiredError(OrchestraError):
    """The operation needs a person's approval; a pending approval request was recorded (or reused).

    ``approval_id`` names it; the same call, repeated after a person granted it, proceeds once.
    """

    code = "approval_required"

    def __init__(self, message: str, *, approval_id: str, action: str, prompt: str,
                 expires_at: str) -> None:
        super().__init__(message, details={"approval_id": approval_id, "action": action, "expires_at": expires_at})
        self.approval_id = approval_id
        self.action = action
        self.prompt = prompt
        """The question for a person (guarded, no content), for an MCP elicitation."""
        self.expires_at = expires_at


class ApprovalDeniedError(OrchestraError):
    """A person denied (or declined) this exact operation; repeating the call does not ask again until
    the denial expires."""

    code = "approval_denied"


class ApprovalCanceledError(OrchestraError):
    """The person dismissed the question without deciding; the request stays pending for the CLI."""

    code = "approval_canceled"


class ApprovalNotFoundError(NotFoundError):
    """No approval request has that id."""

    code = "approval_not_found"


class ApprovalStateError(ConflictError):
    """The approval request cannot change that way (already decided, used or expired)."""

    code = "approval_not_pending"
