"""Approvals a person gives: bound to one operation, expiring, single use, audited (see docs/approvals.md)."""

from orchestra.approvals.errors import (
    ApprovalCanceledError,
    ApprovalDeniedError,
    ApprovalNotFoundError,
    ApprovalRequiredError,
    ApprovalStateError,
)
from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import (
    APPROVAL_ACTIONS,
    Approval,
    ApprovalAction,
    ApprovalCaller,
    ApprovalList,
    ApprovalStatus,
    ApprovalSubject,
    ApprovalTicket,
)
from orchestra.approvals.service import ApprovalService

__all__ = [
    "APPROVAL_ACTIONS",
    "Approval",
    "ApprovalAction",
    "ApprovalCaller",
    "ApprovalCanceledError",
    "ApprovalDeniedError",
    "ApprovalList",
    "ApprovalNotFoundError",
    "ApprovalRequiredError",
    "ApprovalService",
    "ApprovalStateError",
    "ApprovalStatus",
    "ApprovalSubject",
    "ApprovalTicket",
    "CallerApprovals",
]
