"""Issue 14 items 7 and 9 through the real stdio server: coded errors, no erased text left, no raw controls."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from mcp import Client

from tests.faults.support import error_text, server_params
from tests.helpers import run_cli
from tests.surface_calls import person_approves

pytestmark = pytest.mark.anyio

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "mcp", "session_id": "s1"}
CANARY = "zebra quokka lighthouse 7731 marmalade"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_chat_respond_with_an_invalid_role_is_invalid_input(workspace: Path, mode: str) -> None:
    async with Client(server_params(workspace, "--tools", "all"), mode=mode) as client:  # type: ignore[arg-type]
        assert (await client.call_tool("task_add", {"id": "T-1", "title": "chat"})).is_error is False
        thread = await client.call_tool("chat_thread_create", {**SCOPE, "title": "q", "actor": ACTOR})
        tid = thread.structured_content["id"]
        await client.call_tool("chat_message_append", {"thread_id": tid, "text": "hello?",
                                                       "actor": ACTOR, "idempotency_key": "k-1"})
        for role in ("Dev", "", "ops team"):
            result = await client.call_tool("chat_respond", {"thread_id": tid, "role": role,
                                                             "provider": "fake"})
            text = error_text(result)
            assert "invalid_input:" in text and "internal_error" not in text, text


@pytest.mark.sqlite_only
async def test_deleted_chat_text_leaves_no_trace_in_the_database_files(workspace: Path) -> None:
    db = workspace / ".agent-workflow" / "state.db"
    async with Client(server_params(workspace, "--tools", "all"), mode="legacy",
                      elicitation_callback=person_approves) as client:
        await client.call_tool("task_add", {"id": "T-1", "title": "chat"})
        thread = await client.call_tool("chat_thread_create", {**SCOPE, "title": "q", "actor": ACTOR})
        tid = thread.structured_content["id"]
        for i in range(3):
            appended = await client.call_tool("chat_message_append", {
                "thread_id": tid, "text": f"{CANARY} number {i}", "actor": ACTOR,
                "idempotency_key": f"k-{i}"})
            assert appended.is_error is False
        files = [db, db.with_name("state.db-wal")]
        assert any(CANARY.encode() in p.read_bytes() for p in files if p.exists())  # the probe finds it
        deleted = await client.call_tool("chat_delete", {"scope": "thread", "thread_id": tid,
                                                         "reason_code": "user_request", "actor_id": "auditor-1",
                                                         "actor_role": "auditor"})
        assert deleted.structured_content["deleted_messages"] == 3
        # while the server still runs (its -wal is live), no file holds the erased text
        for path in [*files, db.with_name("state.db-shm")]:
            if path.exists():
                assert CANARY.encode() not in path.read_bytes(), path.name


@pytest.mark.sqlite_only
async def test_control_characters_are_stripped_on_input_and_escaped_on_output(workspace: Path) -> None:
    title = "Fix\x00 the \x1b[2J\x1b]0;pwned\x07parser\u202e now"
    async with Client(server_params(workspace), mode="legacy") as client:
        added = await client.call_tool("task_add", {"id": "T-1", "title": title,
                                                    "goal": "line one\nline\x1b[31m two\x7f"})
        assert added.is_error is False
        assert added.structured_content["title"] == "Fix the parser now"
        assert added.structured_content["goal"] == "line one\nline two"
    # a row written before this release (or by hand) still prints safely
    with sqlite3.connect(workspace / ".agent-workflow" / "state.db") as conn:
        conn.execute("UPDATE tasks SET title = ? WHERE id = 'T-1'", ("old\x1b[31mred\x9b1m\u202e",))
    for args in (("task", "list"), ("task", "show", "T-1"), ("task", "list", "--json")):
        shown = run_cli(*args, "--workspace", str(workspace))
        assert shown.returncode == 0, shown.stderr
        assert not any(ch in shown.stdout for ch in ("\x1b", "\x9b", "\u202e", "\x00")), args
        assert "old" in shown.stdout
