"""The minimal calls, tasks that move and honest annotations, through the in-memory client in both eras."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["legacy", "auto"])
async def client(request: pytest.FixtureRequest, app: Orchestra) -> AsyncIterator[Client]:
    async with Client(create_server(app), mode=request.param) as connected:
        yield connected


async def test_minimal_calls_fall_back_to_the_default_role(client: Client) -> None:
    added = await client.call_tool("task_add", {"title": "no id, no role"})
    assert added.structured_content is not None and added.structured_content["id"] == "T-1"
    second = await client.call_tool("task_add", {"title": "again"})
    assert second.structured_content is not None and second.structured_content["id"] == "T-2"
    bundle = await client.call_tool("context_bundle", {"task_id": "T-1"})
    assert bundle.is_error is False and bundle.structured_content is not None
    assert bundle.structured_content["role"] == "developer"
    assert bundle.structured_content["role_source"] == "default"
    spawned = await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"})
    assert spawned.structured_content is not None
    assert spawned.structured_content["role"] == "developer" and spawned.structured_content["role_source"] == "default"
    assert "configured default" in spawned.structured_content["message"]
    task = await client.call_tool("task_get", {"task_id": "T-1"})
    assert task.structured_content is not None and task.structured_content["status"] == "in_progress"


async def test_task_update_and_next(client: Client) -> None:
    await client.call_tool("task_add", {"id": "A", "title": "a", "priority": "low"})
    await client.call_tool("task_add", {"id": "B", "title": "b", "depends_on": ["A"], "priority": "high"})
    await client.call_tool("task_add", {"id": "C", "title": "c"})
    nxt = await client.call_tool("task_next", {})
    assert nxt.structured_content is not None and nxt.structured_content["task"]["id"] == "C"
    assert nxt.structured_content["waiting"] == [{"task_id": "B", "waiting_for": ["A"]}]
    bad = await client.call_tool("task_update", {"task_id": "B", "status": "in_progress"})
    assert bad.is_error is True
    moved = await client.call_tool("task_update", {"task_id": "A", "status": "done", "title": "a, finished"})
    assert moved.structured_content is not None
    assert moved.structured_content["status"] == "done" and moved.structured_content["title"] == "a, finished"
    nxt = await client.call_tool("task_next", {})
    assert nxt.structured_content is not None and nxt.structured_content["task"]["id"] == "B"
    cycle = await client.call_tool("task_update", {"task_id": "A", "depends_on": ["B"]})
    assert cycle.is_error is True
    reopened = await client.call_tool("task_update", {"task_id": "C", "status": "canceled", "reason": "dropped"})
    assert reopened.structured_content is not None and reopened.structured_content["status_reason"] == "dropped"


async def test_spawn_on_a_task_with_open_dependencies_is_rejected_with_the_reason(client: Client) -> None:
    await client.call_tool("task_add", {"id": "A", "title": "a"})
    await client.call_tool("task_add", {"id": "B", "title": "b", "depends_on": ["A"]})
    refused = await client.call_tool("spawn_request", {"task_id": "B", "runtime": "claude-cli"})
    assert refused.is_error is True
    assert "task B depends on A (planned), not done yet" in refused.content[0].text  # type: ignore[union-attr]


async def test_tools_that_sweep_are_not_read_only(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("session_get", "session_list", "session_wait", "task_update"):
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint is False, name
    for name in ("task_get", "task_list", "task_next"):
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint is True, name


def test_unmet_dependencies_can_queue_instead(open_app) -> None:  # type: ignore[no-untyped-def]
    app: Orchestra = open_app({"tasks": {"unmetDependencies": "queue"}})
    app.tasks.add({"id": "A", "title": "a"})
    app.tasks.add({"id": "B", "title": "b", "depends_on": ["A"]})
    queued = app.delegation.spawn({"task_id": "B", "runtime": "claude-cli"})
    assert queued.status == "queued" and any("depends on A" in r for r in queued.guardrails.reasons)
    assert app.delegation.promote_ready() == []
    app.tasks.update("A", {"status": "done"})
    assert app.delegation.promote_ready() == [queued.session_id]
    assert app.delegation.get(queued.session_id).session.status == "requested"
