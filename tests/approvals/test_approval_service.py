"""The approval service on a real SQLite store: binding, expiry, single use, denial, audit, processes."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.approvals import (
    ApprovalCaller,
    ApprovalDeniedError,
    ApprovalRequiredError,
    ApprovalStateError,
    ApprovalSubject,
    ApprovalTicket,
)
from orchestra.clock import utc_now
from orchestra.errors import ValidationError

ANN = ApprovalCaller(principal="local:ann", session="mcp-claude-cli-1")
BOB = ApprovalCaller(principal="local:ann", session="mcp-cursor-cli-2")
SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def _subject(thread: str = "thread-1", **extra: object) -> ApprovalSubject:
    return ApprovalSubject(action="chat_delete", arguments={"thread": thread, "token": SECRET, **extra},
                           reason_code="destructive_action", summary=f"tombstone {thread} key {SECRET}",
                           task_id="T-1")


def _ask(app: Orchestra, subject: ApprovalSubject, caller: ApprovalCaller = ANN) -> str:
    with pytest.raises(ApprovalRequiredError) as caught:
        app.approvals.gate(subject, caller)
    return caught.value.approval_id


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


def test_a_grant_matches_only_the_same_caller_and_arguments_once(app: Orchestra) -> None:
    approval_id = _ask(app, _subject())
    assert _ask(app, _subject()) == approval_id  # asked again: the same pending request
    app.approvals.grant(approval_id, approver="local:ops")
    assert _ask(app, _subject(), BOB) != approval_id  # another session asks for its own
    assert _ask(app, _subject("thread-2")) != approval_id  # another operation
    ticket = app.approvals.gate(_subject(), ANN)
    assert ticket == ApprovalTicket(approval_id=approval_id, action="chat_delete")
    with app.store.write() as tx:
        app.approvals.consume(tx, ticket)
    with app.store.write() as tx, pytest.raises(ApprovalStateError):
        app.approvals.consume(tx, ticket)  # single use
    assert _ask(app, _subject()) != approval_id


def test_a_refused_operation_rolls_its_consumption_back(app: Orchestra) -> None:
    approval_id = _ask(app, _subject())
    app.approvals.grant(approval_id, approver="local:ops")
    ticket = app.approvals.gate(_subject(), ANN)
    with pytest.raises(RuntimeError), app.store.write() as tx:
        app.approvals.consume(tx, ticket)
        raise RuntimeError("the operation failed after using the grant")
    assert app.approvals.get(approval_id).status.value == "granted"  # still usable: nothing happened


def test_pending_and_granted_requests_expire(workspace: Path) -> None:
    clock = Clock()
    with Orchestra.open(workspace) as app:
        app.approvals.clock = clock
        stale = _ask(app, _subject())
        clock.now += timedelta(minutes=16)
        fresh = _ask(app, _subject())
        assert fresh != stale and app.approvals.get(stale).status.value == "expired"
        with pytest.raises(ApprovalStateError):
            app.approvals.grant(stale, approver="local:ops")
        app.approvals.grant(fresh, approver="local:ops")
        clock.now += timedelta(minutes=15, seconds=1)  # the grant's own window has passed
        assert _ask(app, _subject()) not in (stale, fresh)
        assert app.approvals.get(fresh).status.value == "expired"
        types = [e.type for e in app.events.list(limit=100) if e.type.startswith("APPROVAL_")]
        assert types.count("APPROVAL_EXPIRED") == 2 and "APPROVAL_CONSUMED" not in types


def test_a_denial_is_remembered_until_it_expires(workspace: Path) -> None:
    clock = Clock()
    with Orchestra.open(workspace) as app:
        app.approvals.clock = clock
        approval_id = _ask(app, _subject())
        app.approvals.deny(approval_id, approver="local:ops")
        with pytest.raises(ApprovalDeniedError):
            app.approvals.gate(_subject(), ANN)
        with pytest.raises(ApprovalStateError):
            app.approvals.grant(approval_id, approver="local:ops")  # a decision is final
        clock.now += timedelta(minutes=16)
        assert _ask(app, _subject()) != approval_id


def test_the_expiry_and_actions_come_from_config(open_app: object) -> None:
    app = open_app({"approvals": {"expiryMinutes": 2, "actions": ["fragment_shred"]}})  # type: ignore[operator]
    assert app.approvals.gate(_subject(), ANN) is None  # chat_delete is not gated here
    shred = ApprovalSubject(action="fragment_shred", arguments={"id": "f"}, reason_code="destructive_action",
                            summary="shred f")
    approval = app.approvals.get(_ask(app, shred))
    created = datetime.fromisoformat(approval.created_at.replace("Z", "+00:00"))
    expires = datetime.fromisoformat(approval.expires_at.replace("Z", "+00:00"))
    assert expires - created == timedelta(minutes=2)


def test_no_value_reaches_the_store_or_the_audit_log(app: Orchestra) -> None:
    approval_id = _ask(app, _subject())
    app.approvals.grant(approval_id, approver="local:ops")
    approval = app.approvals.get(approval_id)
    assert SECRET not in approval.model_dump_json() and "[REDACTED_SECRET]" in approval.summary
    with app.store.read() as tx:
        rows = [dict(r) for r in tx.fetchall("SELECT * FROM approvals")]
        events = [dict(r) for r in tx.fetchall("SELECT * FROM events")]
    assert SECRET not in repr(rows) + repr(events)
    assert len(rows[0]["fingerprint"]) == 64 and app.events.verify().ok


def test_bad_ids_and_filters_are_coded(app: Orchestra) -> None:
    for bad in ("", "x", "appr-../../etc", "appr-" + "a" * 80):
        with pytest.raises(ValidationError):
            app.approvals.get(bad)
    with pytest.raises(ValidationError):
        app.approvals.list(status="maybe")


def _consume_in_child(root: str, approval_id: str, queue: multiprocessing.Queue[str]) -> None:
    with Orchestra.open(Path(root)) as app:
        try:
            with app.store.write() as tx:
                app.approvals.consume(tx, ApprovalTicket(approval_id=approval_id, action="chat_delete"))
            queue.put("used")
        except ApprovalStateError:
            queue.put("refused")


@pytest.mark.slow
def test_one_grant_is_used_once_across_processes(workspace: Path) -> None:
    with Orchestra.open(workspace) as app:
        approval_id = _ask(app, _subject())
        app.approvals.grant(approval_id, approver="local:ops")
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    children = [context.Process(target=_consume_in_child, args=(str(workspace), approval_id, queue))
                for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    outcomes = sorted(queue.get(timeout=5) for _ in children)
    assert outcomes == ["refused", "refused", "refused", "used"]
    with Orchestra.open(workspace) as app:
        types = [e.type for e in app.events.list(limit=100)]
        assert types.count("APPROVAL_CONSUMED") == 1 and app.events.verify().ok


def test_requests_age_by_the_stores_clock_not_this_process(app: Orchestra, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no injected clock the service reads time inside its transactions (the database server's clock
    on PostgreSQL, shared by every server process), never this process's."""
    from orchestra.store.postgres import PostgresTransaction
    from orchestra.store.sqlite import SQLiteTransaction

    assert app.approvals.clock is None
    approval_id = _ask(app, _subject())
    later = utc_now() + timedelta(minutes=16)
    for kind in (SQLiteTransaction, PostgresTransaction):
        monkeypatch.setattr(kind, "now", lambda self: later)
    assert _ask(app, _subject()) != approval_id  # the store says 16 minutes passed: a new request
    assert app.approvals.get(approval_id).status.value == "expired"
