"""A spawn for a task whose recorded usage is past its budget waits for a person, in both eras."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.approvals.test_approvals_mcp import Person

pytestmark = pytest.mark.anyio
BUDGET = {"budgets": {"byTask": {"T-1": {"maxRequests": 1}}}}
SPAWN = {"task_id": "T-1", "runtime": "claude-cli", "brief": "Start with the lexer"}


def _text(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def _over_budget(client: Client) -> None:
    await client.call_tool("task_add", {"id": "T-1", "title": "Ship", "owner_role": "developer"})
    for _ in range(2):
        recorded = await client.call_tool("usage_record", {"task_id": "T-1", "role": "developer", "provider": "x",
                                                            "model": "m", "input_tokens": 10, "output_tokens": 5})
        assert recorded.is_error is False, recorded.content


def _sessions(app: Orchestra) -> int:
    with app.store.read() as tx:
        row = tx.fetchone("SELECT COUNT(*) AS n FROM delegation_sessions")
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_within_budget_nothing_is_asked(open_app: Callable[[dict[str, Any]], Orchestra], mode: str) -> None:
    app = open_app(BUDGET)
    person = Person("accept")
    async with Client(create_server(app, ["ledger"]), mode=mode, elicitation_callback=person) as client:
        await client.call_tool("task_add", {"id": "T-1", "title": "Ship", "owner_role": "developer"})
        spawned = await client.call_tool("spawn_request", SPAWN)
        assert spawned.is_error is False, spawned.content
    assert person.asked == [] and app.approvals.list().approvals == []


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_past_the_budget_a_person_accepts_once(open_app: Callable[[dict[str, Any]], Orchestra],
                                                     mode: str) -> None:
    app = open_app(BUDGET)
    person = Person("accept")
    async with Client(create_server(app, ["ledger"]), mode=mode, elicitation_callback=person) as client:
        await _over_budget(client)
        spawned = await client.call_tool("spawn_request", SPAWN)
        assert spawned.is_error is False, spawned.content
        assert len(person.asked) == 1 and "past its budget" in person.asked[0] and "requests" in person.asked[0]
        second = await client.call_tool("spawn_request", SPAWN)  # a second spawn asks again
        assert second.is_error is False and len(person.asked) == 2
    assert _sessions(app) == 2
    assert [a.status.value for a in app.approvals.list().approvals] == ["consumed", "consumed"]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_past_the_budget_without_a_person_nothing_is_written(open_app: Callable[[dict[str, Any]], Orchestra],
                                                                   mode: str) -> None:
    app = open_app(BUDGET)
    async with Client(create_server(app, ["ledger"]), mode=mode) as client:
        await _over_budget(client)
        refused = await client.call_tool("spawn_request", SPAWN)
        text = _text(refused)
        assert refused.is_error is True and text.startswith("approval_required: spawn_over_budget"), text
        assert _sessions(app) == 0
        assert not list((app.layout.workflow_dir / "runs").glob("**/*.md"))
        approval_id = text.split("approval id ", 1)[1].split()[0]
        app.approvals.grant(approval_id, approver="local:test")
        changed = await client.call_tool("spawn_request", {**SPAWN, "brief": "Something else"})
        assert changed.is_error is True and approval_id not in _text(changed)
        assert _sessions(app) == 0
        done = await client.call_tool("spawn_request", SPAWN)
        assert done.is_error is False, done.content
    assert _sessions(app) == 1 and app.approvals.get(approval_id).status.value == "consumed"
