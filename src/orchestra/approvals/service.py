"""The approval service: ask a person, record the answer, let one matching operation through once.

Flow: an operation that needs a person calls :meth:`ApprovalService.gate` before its write transaction.
Without a grant, the gate records (or reuses) a pending request, audited, and raises
``approval_required`` naming its id; nothing of the operation is written. A person grants or denies it
(``orchestra approve|deny <id>`` at a terminal, or the MCP client's user through elicitation). The same
call, repeated by the same caller, then finds the grant, and the operation consumes it inside its own
write transaction (:meth:`ApprovalService.consume`), so a grant is used at most once and only together
with the change it permits. Pending requests and unused grants expire; every change is an audit event.
No method here lets an MCP caller grant anything: the MCP layer can only relay an elicitation answer
for a question it asked in the same session (:meth:`ApprovalService.answer`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from orchestra.approvals.errors import (
    ApprovalCanceledError,
    ApprovalDeniedError,
    ApprovalNotFoundError,
    ApprovalRequiredError,
    ApprovalStateError,
)
from orchestra.approvals.fingerprint import approval_key, fingerprint
from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import (
    OPEN_STATUSES,
    Approval,
    ApprovalCaller,
    ApprovalList,
    ApprovalStatus,
    ApprovalSubject,
    ApprovalTicket,
    DecidedVia,
)
from orchestra.clock import iso_ms
from orchestra.errors import ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.security.model import Sink
from orchestra.security.opaque_ids import opaque_id
from orchestra.store.base import Row, Store, Transaction
from orchestra.store.clock import Clock, now_of

if TYPE_CHECKING:
    from orchestra.security.guard import SecurityGuard
    from orchestra.workspace.config import ApprovalSettings

MAX_LIST = 500
_ID_CHARS = 64
Answer = Literal["accept", "decline", "cancel"]


def _new_id() -> str:
    return opaque_id("appr-", 8)


class ApprovalService:
    """Approval requests in the state store, bound to operations by keyed fingerprints."""

    def __init__(self, store: Store, events: EventLog, guard: SecurityGuard, workspace_key: bytes,
                 settings: ApprovalSettings, clock: Clock | None = None) -> None:
        self._store = store
        self._events = events
        self._guard = guard
        self._key = approval_key(workspace_key)
        self.settings = settings
        self.clock = clock
        """An injected clock (tests); ``None``: the store's clock inside each transaction, so every server
        process of a PostgreSQL store ages requests and grants by one clock."""

    # -- the operation's side ------------------------------------------------------------------------

    def for_caller(self, caller: ApprovalCaller) -> CallerApprovals:
        """The gate an adapter hands to core operations on behalf of ``caller``."""
        return CallerApprovals(self, caller)

    def requires(self, action: str) -> bool:
        """Whether the configuration makes ``action`` wait for a person."""
        return action in self.settings.actions

    def gate(self, subject: ApprovalSubject, caller: ApprovalCaller) -> ApprovalTicket | None:
        """``None`` when the action needs no approval; the ticket of a grant for exactly this operation and
        caller; otherwise record (or reuse) a pending request and raise ``approval_required``."""
        if not self.requires(subject.action):
            return None
        print_ = fingerprint(self._key, subject.action, subject.arguments)
        with self._store.write() as tx:
            now = now_of(tx, self.clock)
            stamp = iso_ms(now)
            self._expire_due(tx, stamp)
            match = "principal = ? AND session = ? AND action = ? AND fingerprint = ?"
            key = (caller.principal, caller.session, subject.action, print_)
            granted = tx.fetchone(f"SELECT id FROM approvals WHERE {match} AND status = 'granted'", key)
            if granted is not None:
                return ApprovalTicket(approval_id=str(granted["id"]), action=subject.action)
            denied = tx.fetchone(f"SELECT id FROM approvals WHERE {match} AND status = 'denied' AND expires_at > ?"
                                 " ORDER BY created_at DESC LIMIT 1", (*key, stamp))
            if denied is not None:
                raise ApprovalDeniedError(
                    f"a person denied this {subject.action} (approval {denied['id']}); do not repeat it",
                    details={"approval_id": denied["id"], "action": subject.action})
            row = tx.fetchone(f"SELECT * FROM approvals WHERE {match} AND status = 'pending'", key)
            if row is None:
                row = self._insert(tx, subject, caller, print_, now)
        raise self._required(row)

    def consume(self, tx: Transaction, ticket: ApprovalTicket | None) -> None:
        """Use the grant inside the operation's write transaction (a no-op for ``None``); a grant that was
        used or expired meanwhile refuses the operation, which then writes nothing."""
        if ticket is None:
            return
        stamp = iso_ms(now_of(tx, self.clock))
        changed = tx.execute("UPDATE approvals SET status = 'consumed', consumed_at = ? WHERE id = ?"
                             " AND status = 'granted' AND expires_at > ?", (stamp, ticket.approval_id, stamp))
        if changed != 1:
            raise ApprovalStateError(f"approval {ticket.approval_id} was used or expired meanwhile; "
                                     "call again to ask for a new one")
        row = tx.fetchone("SELECT * FROM approvals WHERE id = ?", (ticket.approval_id,))
        assert row is not None
        self._audit(tx, "APPROVAL_CONSUMED", row, actor=str(row["principal"]),
                    summary=f"Approval used by {ticket.action}")

    def use(self, ticket: ApprovalTicket | None) -> None:
        """Consume a grant in a transaction of its own, right before an action that is not a store write
        (a provider call): single use still holds; an action failing afterwards does not give it back."""
        if ticket is None:
            return
        with self._store.write() as tx:
            self.consume(tx, ticket)

    # -- the person's side ----------------------------------------------------------------------------

    def grant(self, approval_id: str, *, approver: str, via: DecidedVia = "cli") -> Approval:
        """A person allows the operation once (until the grant expires)."""
        return self._decide(approval_id, ApprovalStatus.GRANTED, approver=approver, via=via)

    def deny(self, approval_id: str, *, approver: str, via: DecidedVia = "cli") -> Approval:
        """A person refuses the operation; the same call is refused without asking until the denial expires."""
        return self._decide(approval_id, ApprovalStatus.DENIED, approver=approver, via=via)

    def answer(self, approval_id: str, caller: ApprovalCaller, outcome: Answer) -> Approval:
        """Record the MCP client user's answer to the question this session asked: accept grants,
        decline denies (and raises ``approval_denied``), cancel leaves the request pending (and raises
        ``approval_canceled``). Only the caller that asked can answer, and only while it is pending."""
        approval = self.get(approval_id)
        if (approval.principal, approval.session) != (caller.principal, caller.session):
            raise ApprovalStateError("that approval was asked by another session")
        if outcome == "cancel":
            raise ApprovalCanceledError(
                f"the question was dismissed; approval {approval_id} is still pending: a person can run "
                f"'orchestra approve {approval_id}', then call again", details={"approval_id": approval_id})
        if outcome == "decline":
            self._decide(approval_id, ApprovalStatus.DENIED, approver=caller.principal, via="elicitation")
            raise ApprovalDeniedError(f"the person declined this {approval.action} (approval {approval_id}); "
                                      "do not repeat it", details={"approval_id": approval_id})
        return self._decide(approval_id, ApprovalStatus.GRANTED, approver=caller.principal, via="elicitation")

    # -- listing ---------------------------------------------------------------------------------------

    def get(self, approval_id: str) -> Approval:
        """One approval request."""
        approval_id = _check_id(approval_id)
        self.expire_due()
        with self._store.read() as tx:
            row = tx.fetchone("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        if row is None:
            raise ApprovalNotFoundError(f"no approval request has the id {approval_id}")
        return _to_model(row)

    def list(self, *, status: str | None = None, limit: int = 100) -> ApprovalList:
        """Approval requests, newest first (expired ones are marked first)."""
        if status is not None and status not in {s.value for s in ApprovalStatus}:
            raise ValidationError(f"status must be one of: {', '.join(s.value for s in ApprovalStatus)}")
        if not 1 <= limit <= MAX_LIST:
            raise ValidationError(f"limit must be between 1 and {MAX_LIST}")
        self.expire_due()
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._store.read() as tx:
            rows = tx.fetchall(f"SELECT * FROM approvals {where} ORDER BY created_at DESC, id LIMIT ?",
                               (*params, limit))
        return ApprovalList(approvals=[_to_model(r) for r in rows])

    def expire_due(self) -> int:
        """Mark pending requests and unused grants past their time as expired (audited); how many."""
        if self._store.read_only:
            return 0
        with self._store.read() as tx:
            stamp = iso_ms(now_of(tx, self.clock))
            due = tx.fetchone("SELECT 1 FROM approvals WHERE status IN ('pending', 'granted') AND expires_at <= ?"
                              " LIMIT 1", (stamp,))
        if due is None:
            return 0
        with self._store.write() as tx:
            return self._expire_due(tx, iso_ms(now_of(tx, self.clock)))

    # -- internals -------------------------------------------------------------------------------------

    def _insert(self, tx: Transaction, subject: ApprovalSubject, caller: ApprovalCaller, print_: str,
                now: datetime) -> Row:
        approval_id = _new_id()
        decision = self._guard.guard(subject.summary[:500], Sink.LOG)
        summary = decision.text if decision.text is not None else "(summary withheld by the guard)"
        expires = iso_ms(now + timedelta(minutes=self.settings.expiry_minutes))
        tx.execute(
            "INSERT INTO approvals (id, action, reason_code, summary, principal, session, fingerprint, task_id,"
            " status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (approval_id, subject.action, subject.reason_code[:64], summary, caller.principal, caller.session,
             print_, subject.task_id, iso_ms(now), expires))
        row = tx.fetchone("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        assert row is not None
        self._audit(tx, "APPROVAL_REQUESTED", row, actor=caller.principal,
                    summary=f"Approval requested for {subject.action} ({subject.reason_code})")
        return row

    def _decide(self, approval_id: str, status: ApprovalStatus, *, approver: str, via: DecidedVia) -> Approval:
        approval_id = _check_id(approval_id)
        with self._store.write() as tx:
            now = now_of(tx, self.clock)
            stamp = iso_ms(now)
            self._expire_due(tx, stamp)
            row = tx.fetchone("SELECT * FROM approvals WHERE id = ?", (approval_id,))
            if row is None:
                raise ApprovalNotFoundError(f"no approval request has the id {approval_id}")
            if row["status"] != ApprovalStatus.PENDING.value:
                raise ApprovalStateError(f"approval {approval_id} is {row['status']}, not pending")
            until = iso_ms(now + timedelta(minutes=self.settings.expiry_minutes))
            tx.execute("UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, decided_via = ?,"
                       " expires_at = ? WHERE id = ? AND status = 'pending'",
                       (status.value, stamp, approver[:128], via, until, approval_id))
            row = tx.fetchone("SELECT * FROM approvals WHERE id = ?", (approval_id,))
            assert row is not None
            verb = "granted" if status is ApprovalStatus.GRANTED else "denied"
            self._audit(tx, f"APPROVAL_{verb.upper()}", row, actor=approver[:128],
                        summary=f"Approval {verb} for {row['action']} via {via}")
        return _to_model(row)

    def _expire_due(self, tx: Transaction, stamp: str) -> int:
        rows = tx.fetchall("SELECT * FROM approvals WHERE status IN ('pending', 'granted') AND expires_at <= ?",
                           (stamp,))
        for row in rows:
            tx.execute("UPDATE approvals SET status = 'expired' WHERE id = ?", (row["id"],))
            self._audit(tx, "APPROVAL_EXPIRED", {**row, "status": "expired"}, actor="system",
                        summary=f"Approval for {row['action']} expired ({row['status']})")
        return len(rows)

    def _required(self, row: Row) -> ApprovalRequiredError:
        approval_id, action = str(row["id"]), str(row["action"])
        prompt = self._guard.guard(
            f"Allow {action}: {row['summary']} (reason: {row['reason_code']}; approval {approval_id}, "
            f"expires {row['expires_at']})?", Sink.PUBLIC_RESPONSE).text or f"Allow {action} ({approval_id})?"
        return ApprovalRequiredError(
            f"{action} needs a person's approval ({row['reason_code']}): approval id {approval_id} — ask a "
            f"person to run: orchestra approve {approval_id} (expires {row['expires_at']}); then repeat this "
            "exact call (a changed argument needs a new approval)",
            approval_id=approval_id, action=action, prompt=prompt, expires_at=str(row["expires_at"]))

    def _audit(self, tx: Transaction, type_: str, row: Row, *, actor: str, summary: str) -> None:
        self._events.append(tx, NewEvent(
            type=type_, actor=actor[:128], task_id=row["task_id"], summary=summary,
            metadata={"approvalId": row["id"], "action": row["action"], "reasonCode": row["reason_code"],
                      "status": row["status"], "fingerprint": str(row["fingerprint"])[:16],
                      "principal": row["principal"], "session": row["session"],
                      "decidedVia": row["decided_via"], "expiresAt": row["expires_at"]}))


def _check_id(approval_id: str) -> str:
    value = str(approval_id).strip()
    if not value.startswith("appr-") or len(value) > _ID_CHARS or not value[5:].isalnum():
        raise ValidationError("an approval id looks like appr-0123456789abcdef")
    return value


def _to_model(row: Row) -> Approval:
    return Approval(
        approval_id=row["id"], action=row["action"], reason_code=row["reason_code"], summary=row["summary"],
        status=ApprovalStatus(row["status"]), principal=row["principal"], session=row["session"],
        task_id=row["task_id"], fingerprint=str(row["fingerprint"])[:16], created_at=row["created_at"],
        expires_at=row["expires_at"], decided_at=row["decided_at"], decided_by=row["decided_by"],
        decided_via=row["decided_via"], consumed_at=row["consumed_at"])


__all__ = ["OPEN_STATUSES", "ApprovalService"]
