"""Chat service rules: validation, idempotency, unbounded threads, cursors, timeline, delete then export."""

from __future__ import annotations

import base64
import json

import pytest

from orchestra.app import Orchestra
from orchestra.chat.errors import (
    ChatNotFoundError,
    IdempotencyConflictError,
    InvalidActorError,
    InvalidCursorError,
    InvalidProvenanceError,
    InvalidRequestError,
    InvalidScopeError,
    ScopeMismatchError,
    ThreadDeletedError,
    ThreadNotFoundError,
)
from orchestra.events import NewEvent
from orchestra.store.migrations import LATEST_VERSION

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "cli", "session_id": "s1"}
AGENT = {"kind": "subagent", "actor_id": "child", "runtime": "claude-cli", "role": "developer",
         "session_id": "s1", "parent_session_id": "p0"}


def _thread(app: Orchestra, scope: dict[str, str] | None = None) -> str:
    return app.chat.create_thread(scope or SCOPE, "Plan", ACTOR).id


@pytest.mark.sqlite_only
def test_schema_has_the_chat_tables(app: Orchestra) -> None:
    assert app.store.schema_version == LATEST_VERSION >= 3
    with app.store.read() as tx:
        tables = {r["name"] for r in tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"chat_threads", "chat_messages"} <= tables


def test_thread_defaults_match_the_seed(app: Orchestra) -> None:
    thread = app.chat.create_thread(SCOPE, "  Plan the work  ", ACTOR)
    assert thread.title == "Plan the work" and thread.scope.tenant_id == "local" == thread.scope.workspace_id
    assert thread.retention.status == "redacted_only" and thread.retention.raw_persistence == "forbidden"
    assert thread.export.status == "redacted_only" and thread.export.raw_content_exportable is False
    assert thread.delete.status == "active" and thread.delete.policy_id == "chat-delete-logical"
    assert thread.resource_uri == f"orchestra://chat/threads/{thread.id}"


@pytest.mark.parametrize(("scope", "actor", "error"), [
    ({**SCOPE, "task_id": ""}, ACTOR, InvalidScopeError),
    ({k: v for k, v in SCOPE.items() if k != "session_id"}, ACTOR, InvalidScopeError),
    ({**SCOPE, "run_id": "a\nb"}, ACTOR, InvalidScopeError),
    (SCOPE, {**ACTOR, "session_id": "other"}, InvalidActorError),
    (SCOPE, {"kind": "human", "actor_id": "x", "session_id": "s1"}, InvalidActorError),
    (SCOPE, {"kind": "robot", "actor_id": "x"}, InvalidActorError),
    (SCOPE, {**AGENT, "session_id": "s2"}, InvalidActorError),
])
def test_bad_scope_or_actor_is_refused(app: Orchestra, scope: dict[str, str], actor: dict[str, str],
                                       error: type[Exception]) -> None:
    with pytest.raises(error):
        app.chat.create_thread(scope, "t", actor)


def test_provider_and_system_actors_need_no_session(app: Orchestra) -> None:
    tid = _thread(app)
    provider = {"kind": "provider_agent", "actor_id": "p", "provider": "ollama", "model": "llama3", "request_id": "r"}
    result = app.chat.append_message(SCOPE, tid, "answer", provider, "k1", provenance={
        "provider": "ollama", "model": "llama3", "input_tokens": 10, "output_tokens": 5, "usage_source": "provider",
        "estimated_cost_usd": "0.0001", "cost_source": "pricing_estimate"})
    prov = result.message.provenance
    assert prov.source_kind == "provider_output" and prov.input_tokens == 10 and prov.estimated_cost_usd == "0.0001"
    with pytest.raises(InvalidProvenanceError):
        app.chat.append_message(SCOPE, tid, "x", provider, "k2", provenance={"input_tokens": 3})
    with pytest.raises(InvalidProvenanceError):
        app.chat.append_message(SCOPE, tid, "x", provider, "k3", provenance={"estimated_cost_usd": "1"})


def test_idempotent_replay_and_conflict(app: Orchestra) -> None:
    tid = _thread(app)
    first = app.chat.append_message(SCOPE, tid, "hello", ACTOR, "key-1")
    again = app.chat.append_message(SCOPE, tid, "hello", ACTOR, "key-1")
    assert again.idempotent_replay is True and again.message == first.message
    with pytest.raises(IdempotencyConflictError):
        app.chat.append_message(SCOPE, tid, "hello!", ACTOR, "key-1")
    with pytest.raises(IdempotencyConflictError):
        app.chat.append_message(SCOPE, tid, "hello", AGENT, "key-1")
    for key in (None, "", "   ", "x" * 256, "tab\tkey"):
        with pytest.raises(InvalidRequestError):
            app.chat.append_message(SCOPE, tid, "hello", ACTOR, key)
    with pytest.raises(InvalidRequestError):
        app.chat.append_message(SCOPE, tid, "   ", ACTOR, "key-2")
    assert app.chat.get_thread(tid).message_count == 1


def test_same_key_in_another_thread_is_independent(app: Orchestra) -> None:
    a, b = _thread(app), _thread(app)
    ma = app.chat.append_message(SCOPE, a, "x", ACTOR, "k").message
    mb = app.chat.append_message(SCOPE, b, "x", ACTOR, "k").message
    assert ma.id != mb.id and ma.sequence == mb.sequence == 1


def test_no_limit_on_thread_length(app: Orchestra) -> None:
    tid = _thread(app)
    for n in range(1, 131):
        assert app.chat.append_message(SCOPE, tid, f"m{n}", ACTOR, f"k{n}").message.sequence == n
    replay = app.chat.append_message(SCOPE, tid, "m60", ACTOR, "k60")
    assert replay.idempotent_replay is True and replay.message.sequence == 60


def test_pages_are_stable_while_appending(app: Orchestra) -> None:
    tid = _thread(app)
    for n in range(1, 11):
        app.chat.append_message(SCOPE, tid, f"m{n}", ACTOR, f"k{n}")
    seen: list[int] = []
    page = app.chat.list_messages(SCOPE, tid, limit=4)
    while True:
        seen += [m.sequence or 0 for m in page.messages]
        app.chat.append_message(SCOPE, tid, "late", ACTOR, f"late-{len(seen)}")
        if page.next_cursor is None:
            break
        page = app.chat.list_messages(SCOPE, tid, limit=4, cursor=page.next_cursor)
    assert seen == list(range(1, len(seen) + 1)) and len(seen) >= 10


@pytest.mark.parametrize("limit", [0, 101, -1, True])
def test_invalid_limit_is_an_error(app: Orchestra, limit: int) -> None:
    tid = _thread(app)
    with pytest.raises(InvalidRequestError):
        app.chat.list_messages(SCOPE, tid, limit=limit)
    with pytest.raises(InvalidRequestError):
        app.chat.list_threads(SCOPE, limit=limit)


def test_cursor_tampering_and_rebinding_are_refused(app: Orchestra) -> None:
    tid, other = _thread(app), _thread(app)
    for n in range(3):
        app.chat.append_message(SCOPE, tid, f"m{n}", ACTOR, f"k{n}")
        app.chat.append_message(SCOPE, other, f"m{n}", ACTOR, f"k{n}")
    cursor = app.chat.list_messages(SCOPE, tid, limit=1).next_cursor
    assert cursor is not None
    body, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["p"]["m"] = 0
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{signature}", cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "garbage", "a.b.c"):
        with pytest.raises(InvalidCursorError):
            app.chat.list_messages(SCOPE, tid, limit=1, cursor=bad)
    with pytest.raises(InvalidCursorError):
        app.chat.list_messages(SCOPE, other, limit=1, cursor=cursor)
    with pytest.raises(InvalidCursorError):
        app.chat.list_messages(SCOPE, tid, limit=1, cursor=cursor, include_timeline=True)
    with pytest.raises(InvalidCursorError):
        app.chat.list_threads(SCOPE, cursor=cursor)
    with pytest.raises(InvalidCursorError):
        app.chat.list_messages({**SCOPE, "phase": "review"}, tid, limit=1, cursor=cursor)
    with pytest.raises(ScopeMismatchError):
        app.chat.list_messages({**SCOPE, "phase": "review"}, tid, limit=1)
    with pytest.raises(ScopeMismatchError):
        app.chat.append_message({**SCOPE, "phase": "review"}, tid, "x", ACTOR, "k-x")


def test_thread_pages_are_scoped(app: Orchestra) -> None:
    ids = [_thread(app) for _ in range(5)]
    _thread(app, {**SCOPE, "phase": "review"})
    first = app.chat.list_threads(SCOPE, limit=2)
    assert [t.id for t in first.threads] == ids[:2] and first.next_cursor
    second = app.chat.list_threads(SCOPE, limit=3, cursor=first.next_cursor)
    assert [t.id for t in second.threads] == ids[2:] and second.next_cursor is None
    with pytest.raises(InvalidCursorError):
        app.chat.list_threads({**SCOPE, "run_id": "run-2"}, limit=2, cursor=first.next_cursor)
    assert app.chat.list_threads({**SCOPE, "run_id": "run-2"}).count == 0
    with pytest.raises(ThreadNotFoundError):
        app.chat.get_thread("thread-missing")


def test_timeline_merges_task_events_of_this_run(app: Orchestra) -> None:
    tid = _thread(app)
    app.chat.append_message(SCOPE, tid, "before", ACTOR, "k1")
    app.tasks.add({"id": "T-1", "title": "Task"})
    app.events.record(NewEvent(type="RUNTIME_DELEGATION_SESSION_SPAWNED", actor="parent", task_id="T-1",
                               summary="child spawned", metadata={"runId": "run-1"}))
    app.events.record(NewEvent(type="RUNTIME_DELEGATION_SESSION_SPAWNED", actor="parent", task_id="T-1",
                               summary="other run", metadata={"runId": "run-2"}))
    app.events.record(NewEvent(type="CHAT_EXPORT_RECORDED", actor="x", task_id="T-1", summary="not timeline"))
    app.events.record(NewEvent(type="REVIEW_RECORDED", actor="rev", task_id="T-1", summary="approved",
                               metadata={"role": "reviewer", "reviewId": "R-1"}))
    app.chat.append_message(SCOPE, tid, "after", ACTOR, "k2")
    texts: list[str] = []
    page = app.chat.list_messages(SCOPE, tid, limit=2, include_timeline=True)
    while True:
        texts += [m.content.text for m in page.messages]
        if page.next_cursor is None:
            break
        page = app.chat.list_messages(SCOPE, tid, limit=2, cursor=page.next_cursor, include_timeline=True)
    assert texts == ["before", "Task T-1 created", "child spawned", "approved", "after"]
    plain = app.chat.list_messages(SCOPE, tid)
    assert [m.content.text for m in plain.messages] == ["before", "after"]
    full = app.chat.list_messages(SCOPE, tid, limit=100, include_timeline=True).messages
    review = next(m for m in full if m.content.text == "approved")
    assert review.actor.kind == "reviewer" and review.sequence is None and review.timeline_event is not None


def test_delete_then_export(app: Orchestra) -> None:
    keep = app.chat.create_thread({**SCOPE, "run_id": "run-2"}, "Keep", ACTOR).id
    gone = _thread(app)
    for n in range(3):
        app.chat.append_message(SCOPE, gone, f"secret plan {n}", ACTOR, f"k{n}")
    app.chat.append_message({**SCOPE, "run_id": "run-2"}, keep, "kept", ACTOR, "k")
    result = app.chat.delete("run", task_id="T-1", run_id="run-1", actor_id="dpo", actor_role="auditor",
                             reason_code="user_request")
    assert result.deleted_threads == [gone] and result.deleted_messages == 3 and not result.already_deleted
    repeat = app.chat.delete("thread", thread_id=gone, actor_id="dpo", actor_role="auditor", reason_code="again")
    assert repeat.deleted_messages == 0 and repeat.deleted_threads == [] and repeat.already_deleted
    thread = app.chat.get_thread(gone)
    assert thread.content_state == "tombstoned" and thread.delete.reason_code == "user_request"
    assert thread.export.status == "not_exportable"
    messages = app.chat.list_messages(SCOPE, gone).messages
    assert all(m.content.text == "" and m.content_state == "tombstoned" for m in messages)
    with pytest.raises(ThreadDeletedError):
        app.chat.append_message(SCOPE, gone, "more", ACTOR, "k9")

    export = app.chat.export("task", task_id="T-1", actor_id="dpo", actor_role="auditor")
    assert export.thread_count == 2 and export.message_count == 1 and export.tombstoned_excluded == 3
    text = (app.layout.root / export.markdown_path).read_text(encoding="utf-8")
    assert "secret plan" not in text and "kept" in text and "[deleted]" not in text
    with_tombs = app.chat.export("task", task_id="T-1", actor_id="dpo", actor_role="auditor",
                                 include_tombstoned=True)
    assert with_tombs.tombstoned_included == 3
    data = json.loads((app.layout.root / with_tombs.json_path).read_text(encoding="utf-8"))
    texts = [m["content"]["text"] for r in data["records"] for m in r["messages"]]
    assert texts.count("[deleted]") == 3 and "secret plan 0" not in texts
    types = [e.type for e in app.events.list(limit=100)]
    assert types.count("CHAT_DELETE_RECORDED") == 2 and types.count("CHAT_EXPORT_RECORDED") == 2
    event = next(e for e in app.events.list(event_type="CHAT_EXPORT_RECORDED"))
    assert event.metadata["messageCount"] == 1 and event.actor == "dpo"
    assert "secret plan" not in json.dumps(event.model_dump())


def test_export_selection_errors(app: Orchestra) -> None:
    with pytest.raises(InvalidRequestError):
        app.chat.export("thread", actor_id="a", actor_role="auditor")
    with pytest.raises(InvalidRequestError):
        app.chat.export("everything", task_id="T-1", actor_id="a", actor_role="auditor")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError):
        app.chat.delete("task", task_id="T-1", actor_id="a", actor_role="auditor", reason_code="Bad Reason")
    with pytest.raises(ChatNotFoundError):
        app.chat.export("task", task_id="T-404", actor_id="a", actor_role="auditor")
    assert not app.layout.exports_dir.exists() or not list(app.layout.exports_dir.iterdir())
