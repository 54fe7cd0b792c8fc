"""Every chat tool and resource through the SDK's in-memory client, in both eras."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.types import Implementation, ServerNotification, TextContent, TextResourceContents

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.surface_calls import person_approves

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/(un)?subscribe is removed")]

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
CREATE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "mcp", "session_id": "s1"}
SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def _data(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content
    assert result.structured_content is not None
    data: dict[str, Any] = result.structured_content
    return data


def _error(result: Any) -> str:
    assert result.is_error is True
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_chat_tools_end_to_end(app: Orchestra, mode: str) -> None:  # noqa: PLR0915 (one story)
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with Client(create_server(app), mode=mode, elicitation_callback=person_approves) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ("chat_thread_create", "chat_threads", "chat_message_append", "chat_messages", "chat_export",
                     "chat_delete"):
            assert tools[name].description and tools[name].output_schema is not None
        assert tools["chat_delete"].annotations is not None and tools["chat_delete"].annotations.destructive_hint
        assert tools["chat_messages"].annotations is not None and tools["chat_messages"].annotations.read_only_hint

        thread = _data(await client.call_tool("chat_thread_create", {
            **CREATE, "title": f"Rotate token {SECRET}", "actor": ACTOR}))
        assert SECRET not in json.dumps(thread) and "[REDACTED_SECRET]" in thread["title"]
        tid = thread["id"]
        assert thread["scope"]["run_id"] == "run-1" and "retention" not in thread

        first = _data(await client.call_tool("chat_message_append", {
            "thread_id": tid, "text": "SELECT * FROM users; -- and `rm -rf build && make`",
            "actor": ACTOR, "idempotency_key": "k-1"}))
        assert first["message"]["sequence"] == 1 and first["idempotent_replay"] is False
        assert first["message"]["text"].startswith("SELECT * FROM users")
        assert not {"scope", "retention", "export", "delete", "schema_version"} & set(first["message"])
        assert "null" not in json.dumps(first)
        replay = _data(await client.call_tool("chat_message_append", {
            "thread_id": tid, "text": "SELECT * FROM users; -- and `rm -rf build && make`",
            "actor": ACTOR, "idempotency_key": "k-1"}))
        assert replay["idempotent_replay"] is True and replay["message"]["id"] == first["message"]["id"]
        conflict = await client.call_tool("chat_message_append", {
            "thread_id": tid, "text": "other", "actor": ACTOR, "idempotency_key": "k-1"})
        assert "idempotency_conflict:" in _error(conflict)
        for i in range(2, 6):
            _data(await client.call_tool("chat_message_append", {
                "thread_id": tid, "text": f"message {i}", "actor": ACTOR,
                "idempotency_key": f"k-{i}"}))

        page = _data(await client.call_tool("chat_messages", {"thread_id": tid, "limit": 3}))
        assert [m["sequence"] for m in page["messages"]] == [1, 2, 3] and page["next_cursor"]
        rest = _data(await client.call_tool("chat_messages", {"thread_id": tid, "limit": 3,
                                                               "cursor": page["next_cursor"]}))
        assert [m["sequence"] for m in rest["messages"]] == [4, 5] and rest.get("next_cursor") is None
        bad_limit = await client.call_tool("chat_messages", {"thread_id": tid, "limit": 0})
        assert _error(bad_limit) == "invalid_input: limit: must be between 1 and 100"
        scoped = await client.call_tool("chat_messages", {"scope": SCOPE, "thread_id": tid})
        assert _error(scoped).startswith("invalid_input: scope: unknown argument")

        threads = _data(await client.call_tool("chat_threads", {"task_id": "T-1"}))
        assert [t["id"] for t in threads["threads"]] == [tid]
        assert _data(await client.call_tool("chat_threads", {"task_id": "T-1", "run_id": "run-2"}))["count"] == 0

        export = _data(await client.call_tool("chat_export", {
            "scope": "thread", "thread_id": tid, "actor_id": "auditor-1", "actor_role": "auditor"},
            progress_callback=on_progress))
        assert export["message_count"] == 5 and export["restricted"]["categories"] == ["secret"]
        read = await client.read_resource(export["markdown_uri"])
        content = read.contents[0]
        assert isinstance(content, TextResourceContents) and SECRET not in content.text
        assert content.text.startswith("# Chat Evidence Export")
        assert updates and updates[-1][0] == updates[-1][1] == 5

        resource = await client.read_resource(f"orchestra://chat/threads/{tid}")
        body = resource.contents[0]
        assert isinstance(body, TextResourceContents) and json.loads(body.text)["message_count"] == 5
        msgs = await client.read_resource(f"orchestra://chat/threads/{tid}/messages")
        listed = msgs.contents[0]
        assert isinstance(listed, TextResourceContents) and json.loads(listed.text)["count"] == 5
        with pytest.raises(MCPError) as caught:
            await client.read_resource("orchestra://chat/threads/thread-nope")
        assert caught.value.error.code == -32602

        deleted = _data(await client.call_tool("chat_delete", {
            "scope": "task", "task_id": "T-1", "reason_code": "user_request", "actor_id": "auditor-1",
            "actor_role": "auditor"}))
        assert deleted["deleted_messages"] == 5 and deleted["deleted_threads"] == [tid]
        again = _data(await client.call_tool("chat_delete", {
            "scope": "task", "task_id": "T-1", "reason_code": "user_request", "actor_id": "auditor-1",
            "actor_role": "auditor"}))
        assert again["deleted_messages"] == 0 and again["already_deleted"] is True
        after = _data(await client.call_tool("chat_export", {
            "scope": "run", "task_id": "T-1", "run_id": "run-1", "actor_id": "auditor-1",
            "actor_role": "auditor"}))
        assert after["message_count"] == 0 and after["tombstoned_excluded"] == 5
        missing = await client.call_tool("chat_export", {"scope": "run", "task_id": "T-1", "actor_id": "a",
                                                         "actor_role": "auditor"})
        assert "invalid_request:" in _error(missing)


async def test_subscribers_are_told_about_appends(app: Orchestra) -> None:
    seen: list[str] = []

    async def handler(message: Any) -> None:
        if isinstance(message, ServerNotification) and message.method == "notifications/resources/updated":
            seen.append(str(message.params.uri))

    async with Client(create_server(app), mode="legacy", message_handler=handler) as client:
        thread = _data(await client.call_tool("chat_thread_create", {**CREATE, "title": "t", "actor": ACTOR}))
        uri = f"orchestra://chat/threads/{thread['id']}"
        await client.subscribe_resource(uri)
        _data(await client.call_tool("chat_message_append", {
            "thread_id": thread["id"], "text": "hi", "actor": ACTOR, "idempotency_key": "a"}))
        with anyio.fail_after(5):
            while uri not in seen:
                await anyio.sleep(0.01)
        await client.unsubscribe_resource(uri)
        seen.clear()
        _data(await client.call_tool("chat_message_append", {
            "thread_id": thread["id"], "text": "again", "actor": ACTOR, "idempotency_key": "b"}))
        await anyio.sleep(0.1)
        assert uri not in seen


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_chat_with_a_title_a_task_and_then_the_thread_id_only(app: Orchestra, mode: str) -> None:
    app.tasks.add({"id": "T-9", "title": "t", "owner_role": "reviewer"})
    async with Client(create_server(app), mode=mode, client_info=Implementation(name="claude-code", version="2")) \
            as client:
        thread = _data(await client.call_tool("chat_thread_create", {"title": "Review", "task_id": "T-9"}))
        scope = thread["scope"]
        assert (scope["run_id"], scope["phase"]) == ("manual", "reviewer")
        assert scope["session_id"].startswith("mcp-claude-cli-")
        assert thread["actor"]["kind"] == "parent_agent" and thread["actor"]["runtime"] == "claude-cli"
        appended = _data(await client.call_tool("chat_message_append", {"thread_id": thread["id"], "text": "hi"}))
        assert appended["message"]["actor"]["session_id"] == scope["session_id"]
        again = _data(await client.call_tool("chat_message_append", {"thread_id": thread["id"], "text": "hi"}))
        assert again["idempotent_replay"] is False and again["message"]["sequence"] == 2
        page = _data(await client.call_tool("chat_messages", {"thread_id": thread["id"]}))
        assert [m["text"] for m in page["messages"]] == ["hi", "hi"] and "next_cursor" not in page
        export = _data(await client.call_tool("chat_export", {"scope": "thread", "thread_id": thread["id"]}))
        assert export["message_count"] == 2
