"""The approval gate a core operation receives from its adapter: the service bound to one caller.

An operation that may need a person takes ``approval: CallerApprovals | None``. ``None`` means the
caller is the person (the CLI at a terminal) or a trusted internal call; an MCP adapter passes the gate
for its caller. The operation calls :meth:`CallerApprovals.check` before its write transaction and
:meth:`CallerApprovals.consume` inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestra.approvals.model import ApprovalCaller, ApprovalSubject, ApprovalTicket

if TYPE_CHECKING:
    from orchestra.approvals.service import ApprovalService
    from orchestra.store.base import Transaction


@dataclass(frozen=True, slots=True)
class CallerApprovals:
    """:class:`ApprovalService` for one caller."""

    service: ApprovalService
    caller: ApprovalCaller

    def requires(self, action: str) -> bool:
        """Whether ``action`` waits for a person under the configuration."""
        return self.service.requires(action)

    def check(self, subject: ApprovalSubject) -> ApprovalTicket | None:
        """The grant for this operation, ``None`` when none is needed, else ``approval_required``."""
        return self.service.gate(subject, self.caller)

    def consume(self, tx: Transaction, ticket: ApprovalTicket | None) -> None:
        """Use the grant in the operation's write transaction."""
        self.service.consume(tx, ticket)

    def use(self, ticket: ApprovalTicket | None) -> None:
        """Use the grant in a transaction of its own, right before an action outside the store."""
        self.service.use(ticket)


def check(approval: CallerApprovals | None, subject: ApprovalSubject) -> ApprovalTicket | None:
    """:meth:`CallerApprovals.check`, or ``None`` without a gate."""
    return approval.check(subject) if approval is not None else None


def consume(approval: CallerApprovals | None, tx: Transaction, ticket: ApprovalTicket | None) -> None:
    """:meth:`CallerApprovals.consume`, or nothing without a gate."""
    if approval is not None:
        approval.consume(tx, ticket)
