"""A typical call of every tool, in an order where each one can succeed (shared by tests and the bench).

The workspace is configured with the fake provider so ``chat_respond`` and ``provider_complete`` run
without a network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

FAKE_PROVIDER_CONFIG: dict[str, Any] = {"providers": {"defaults": {"provider": "fake", "model": "fake-1"}}}

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


async def person_approves(_context: Any, _params: Any) -> Any:
    """An elicitation callback: the client's user allows what the server asks about (chat_delete needs a
    person's approval by default; see docs/approvals.md)."""
    from mcp.types import ElicitResult

    return ElicitResult(action="accept", content={"approve": True})


async def typical_calls(call: Call) -> dict[str, Any]:
    """Call every tool once (chat and ledger tools included); return each result by tool name."""
    out: dict[str, Any] = {}

    async def run(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await call(name, arguments)
        assert result.is_error is False, (name, result.content)
        out[name] = result
        data: dict[str, Any] = result.structured_content or {}
        return data

    await run("task_add", {"id": "T-1", "title": "Ship the parser", "goal": "Parser passes the suite",
                           "owner_role": "developer", "acceptance_criteria": ["tests pass"]})  # the first write
    await run("tool_groups", {})
    await run("workspace_status", {})
    await run("task_get", {"task_id": "T-1"})
    await run("task_list", {})
    await run("task_update", {"task_id": "T-1", "priority": "high"})
    await run("task_next", {})
    await run("runtime_status", {})
    spawn = await run("spawn_request", {"task_id": "T-1", "runtime": "claude-cli", "brief": "Start with the lexer"})
    session = spawn["session_id"]
    await run("session_update", {"session_id": session, "status": "spawned", "agent_id": "agent-1"})
    await run("session_get", {"session_id": session})
    await run("session_list", {})
    await run("session_wait", {"session_ids": [session], "timeout_s": 0})
    await run("context_bundle", {"task_id": "T-1", "role": "developer"})
    await run("capacity_snapshot", {})
    await run("content_scan", {"text": "SELECT 1; token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
                               "sink": "transcript"})
    await run("egress_check", {"provider_id": "ollama", "base_url": "http://127.0.0.1:11434",
                               "messages": [{"role": "user", "content": "hello"}]})
    await run("usage_record", {"task_id": "T-1", "role": "developer", "provider": "anthropic", "model": "claude-x",
                               "input_tokens": 120, "output_tokens": 40})
    await run("usage_report", {"task_id": "T-1"})
    await run("budget_check", {"task_id": "T-1"})
    await run("model_aliases", {})
    await run("provider_complete", {"messages": [{"role": "user", "content": "Say hi"}], "task_id": "T-1",
                                    "role": "developer"})
    thread = await run("chat_thread_create", {"title": "Parser plan", "task_id": "T-1"})
    await run("chat_threads", {"task_id": "T-1"})
    await run("chat_message_append", {"thread_id": thread["id"], "text": "Run `rm -rf build && make` first?"})
    await run("chat_messages", {"thread_id": thread["id"]})
    await run("chat_respond", {"thread_id": thread["id"]})
    await run("chat_export", {"scope": "thread", "thread_id": thread["id"]})
    await run("chat_delete", {"scope": "thread", "thread_id": thread["id"], "reason_code": "user_request"})
    await run("fragment_list", {})
    return out


NEEDS_OPERATOR_SETUP = frozenset({"transcription_preflight", "transcription_request", "fragment_restore",
                                  "fragment_shred"})
"""Tools whose success needs a media file, a local model or an operator's grant or fragment: their results
are checked in tests/media and tests/fragments instead."""
