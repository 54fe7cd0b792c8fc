"""Provider egress a person approved: messages the guard quarantined, sent once after an approval.

The guard quarantines, rather than blocks, text that is risky but not secret on its way to a provider
(shell or SQL commands, URLs, paths, prompt injection in a caller's own messages). Such a call may go
when a person approved exactly this call (provider, model, base URL and messages, bound by a keyed
fingerprint); the messages then go with every data finding redacted, encoded as the sink requires.
Restricted data (secrets, keys, cards, sensitive PII) and refused base URLs block: no approval lets
them through.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import ApprovalSubject
from orchestra.providers.model import ChatMessage
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import EgressDecision, Encoding, Outcome, ProviderMessage
from orchestra.security.sinks import encode

ACTION = "provider_egress_quarantine"
_APPROVABLE = (Outcome.QUARANTINE, Outcome.REQUIRES_APPROVAL)


def approvable(decision: EgressDecision) -> bool:
    """The decision stopped the call for a reason a person may overrule (never a block)."""
    return decision.outcome in _APPROVABLE  # a refused base URL or a guard failure is a block


def approved_messages(guard: SecurityGuard, approval: CallerApprovals, decision: EgressDecision,
                      messages: Sequence[ChatMessage], *, provider: str, model: str, history: bool,
                      task_id: str | None, role: str | None) -> list[ProviderMessage] | None:
    """The messages to send once a person approved this call (the grant is used here); ``None`` when the
    configuration does not gate this; ``approval_required`` until a person approved it."""
    if not approval.requires(ACTION):
        return None
    ticket = approval.check(ApprovalSubject(
        action=ACTION, reason_code="egress_quarantined", task_id=task_id,
        arguments={"provider": provider, "model": model, "baseUrl": decision.normalized_base_url,
                   "taskId": task_id, "role": role,
                   "history": history, "messages": [m.model_dump(mode="json") for m in messages]},
        summary=f"send {len(messages)} message(s) to provider {provider} (model {model}) that the guard "
                f"quarantined ({', '.join(decision.reasons[:6])})"))
    encoding = Encoding.UNTRUSTED_DATA if history else Encoding.NONE
    outgoing = [ProviderMessage(role=m.role, content=encode(guard.redact(m.content), encoding)) for m in messages]
    approval.use(ticket)
    return outgoing
