"""Approvals through a real MCP client in both protocol eras: elicitation accept / decline / cancel, the
CLI path for a client without elicitation, single use, a changed argument, and nothing written when refused."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult, TextContent

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio
MODES = ["legacy", "auto"]


def _text(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


class Person:
    """An elicitation callback that answers as told and remembers what it was asked."""

    def __init__(self, action: str, approve: bool = True) -> None:
        self.action, self.approve = action, approve
        self.asked: list[str] = []

    async def __call__(self, _ctx: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"approve": self.approve})
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


async def _thread(client: Client, title: str = "Plan") -> str:
    await client.call_tool("task_add", {"id": "T-1", "title": "Ship"})
    created = await client.call_tool("chat_thread_create", {"title": title, "task_id": "T-1"})
    assert created.is_error is False, created.content
    await client.call_tool("chat_message_append", {"thread_id": created.structured_content["id"], "text": "hello"})
    thread_id: str = created.structured_content["id"]
    return thread_id


def _delete(thread_id: str, reason: str = "user_request") -> dict[str, Any]:
    return {"scope": "thread", "thread_id": thread_id, "reason_code": reason}


def _messages_active(app: Orchestra, thread_id: str) -> int:
    with app.store.read() as tx:
        row = tx.fetchone("SELECT COUNT(*) AS n FROM chat_messages WHERE thread_id = ? AND delete_status = 'active'",
                          (thread_id,))
    assert row is not None
    return int(row["n"])


def _events(app: Orchestra, prefix: str = "APPROVAL_") -> list[str]:
    return [e.type for e in app.events.list(limit=500) if e.type.startswith(prefix)]


@pytest.mark.parametrize("mode", MODES)
async def test_accept_through_elicitation_deletes_once_and_audits(app: Orchestra, mode: str) -> None:
    person = Person("accept")
    async with Client(create_server(app, ["chat"]), mode=mode, elicitation_callback=person) as client:
        thread_id = await _thread(client)
        done = await client.call_tool("chat_delete", _delete(thread_id))
        assert done.is_error is False, done.content
        assert done.structured_content["deleted_threads"] == [thread_id]
        assert len(person.asked) == 1 and "chat_delete" in person.asked[0] and thread_id in person.asked[0]
    assert _messages_active(app, thread_id) == 0
    assert _events(app) == ["APPROVAL_REQUESTED", "APPROVAL_GRANTED", "APPROVAL_CONSUMED"]
    [approval] = app.approvals.list().approvals
    assert approval.status.value == "consumed" and approval.decided_via == "elicitation"
    consumed = next(e for e in app.events.list(limit=500) if e.type == "APPROVAL_CONSUMED")
    deleted = next(e for e in app.events.list(limit=500) if e.type == "CHAT_DELETE_RECORDED")
    assert deleted.seq == consumed.seq + 1  # the grant was used in the delete's own transaction


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("answer", "approve", "code"), [("decline", True, "approval_denied"),
                                                          ("accept", False, "approval_denied"),
                                                          ("cancel", True, "approval_canceled")])
async def test_decline_or_cancel_refuses_and_writes_nothing(app: Orchestra, mode: str, answer: str, approve: bool,
                                                            code: str) -> None:
    person = Person(answer, approve)
    async with Client(create_server(app, ["chat"]), mode=mode, elicitation_callback=person) as client:
        thread_id = await _thread(client)
        refused = await client.call_tool("chat_delete", _delete(thread_id))
        assert refused.is_error is True and _text(refused).startswith(f"{code}: "), _text(refused)
        assert _messages_active(app, thread_id) == 1
        assert "CHAT_DELETE_RECORDED" not in _events(app, "CHAT_")
        again = await client.call_tool("chat_delete", _delete(thread_id))
        assert again.is_error is True
        if code == "approval_denied":  # a denial is remembered: no second question, the same refusal
            assert len(person.asked) == 1 and _text(again).startswith("approval_denied: ")
        else:  # a dismissed question stays pending and is asked again
            assert len(person.asked) == 2 and _text(again).startswith("approval_canceled: ")
    [approval] = app.approvals.list().approvals
    assert approval.status.value == ("denied" if code == "approval_denied" else "pending")
    assert _messages_active(app, thread_id) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_without_elicitation_the_cli_grant_is_matched_once_by_fingerprint(app: Orchestra, mode: str) -> None:
    async with Client(create_server(app, ["chat"]), mode=mode) as client:
        thread_id = await _thread(client)
        other = (await client.call_tool("chat_thread_create", {"title": "Other", "task_id": "T-1"})).structured_content
        first = await client.call_tool("chat_delete", _delete(thread_id))
        text = _text(first)
        assert first.is_error is True and text.startswith("approval_required: "), text
        approval_id = text.split("approval id ", 1)[1].split()[0]
        assert f"orchestra approve {approval_id}" in text
        repeat = await client.call_tool("chat_delete", _delete(thread_id))  # not yet granted: the same request
        assert approval_id in _text(repeat) and len(app.approvals.list().approvals) == 1
        assert _messages_active(app, thread_id) == 1

        app.approvals.grant(approval_id, approver="local:test")  # what `orchestra approve` does
        changed = await client.call_tool("chat_delete", _delete(thread_id, "retention_policy"))
        assert changed.is_error is True and approval_id not in _text(changed)  # another operation, another request
        elsewhere = await client.call_tool("chat_delete", _delete(other["id"]))
        assert elsewhere.is_error is True and approval_id not in _text(elsewhere)
        assert _messages_active(app, thread_id) == 1

        done = await client.call_tool("chat_delete", _delete(thread_id))
        assert done.is_error is False, done.content
        twice = await client.call_tool("chat_delete", _delete(thread_id))
        assert twice.is_error is True and _text(twice).startswith("approval_required: ")
        assert approval_id not in _text(twice)  # single use: a new request
    statuses = {a.approval_id: a.status.value for a in app.approvals.list().approvals}
    assert statuses[approval_id] == "consumed" and list(statuses.values()).count("pending") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_no_tool_can_grant_and_the_listing_is_unchanged(app: Orchestra, mode: str) -> None:
    async with Client(create_server(app, ["all"]), mode=mode) as client:
        tools = (await client.list_tools()).tools
    assert not [t.name for t in tools if "approv" in t.name]
    for tool in tools:
        assert "approval" not in (tool.input_schema.get("properties") or {}), tool.name
