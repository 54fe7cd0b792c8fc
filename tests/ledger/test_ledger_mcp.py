"""Ledger, budget and provider tools through the SDK's in-memory client, in both protocol eras."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mcp import Client
from mcp.types import TextContent

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.ledger.conftest import OpenApp
from tests.ledger.loopback import loopback_ollama

pytestmark = pytest.mark.anyio
CANARY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXqMCP"
MODES = pytest.mark.parametrize("mode", ["legacy", "auto"])


@pytest.fixture
def ledger_app(open_app: OpenApp) -> Orchestra:
    app = open_app({"providers": {"defaults": {"provider": "ollama", "model": "llama3.1:8b", "retries": 1}},
                    "budgets": {"defaults": {"maxEstimatedCostUsd": "1"}}})
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
    return app


def text_of(result: object) -> str:
    content = getattr(result, "content", [])
    return " ".join(c.text for c in content if isinstance(c, TextContent))


@MODES
async def test_tool_listing_and_annotations(ledger_app: Orchestra, mode: str) -> None:
    async with Client(create_server(ledger_app), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("usage_report", "budget_check", "model_aliases"):
        notes = tools[name].annotations
        assert notes is not None and notes.read_only_hint is True
    complete = tools["provider_complete"].annotations
    assert complete is not None and complete.read_only_hint is False and complete.open_world_hint is True
    record = tools["usage_record"].annotations
    assert record is not None and record.read_only_hint is False and record.destructive_hint is False
    for name in ("usage_record", "usage_report", "budget_check", "model_aliases", "provider_complete"):
        tool = tools[name]
        assert tool.description and tool.output_schema is not None
        for param, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{name}.{param} has no description"


@MODES
async def test_record_report_and_budget_tools(ledger_app: Orchestra, mode: str) -> None:
    async with Client(create_server(ledger_app), mode=mode) as client:
        for _ in range(3):
            rec = await client.call_tool("usage_record", {
                "task_id": "T-1", "role": "developer", "provider": "anthropic", "model": "claude-x",
                "prompt_id": "p1", "response_id": "r1", "input_tokens": 10, "output_tokens": 5,
                "estimated_cost_usd": "0.1", "phase": "build", "cost_unavailable_rationale": f"k {CANARY}"})
            assert rec.is_error is False, text_of(rec)
        assert rec.structured_content is not None and CANARY not in str(rec.structured_content)
        report = await client.call_tool("usage_report", {"task_id": "T-1"})
        data = report.structured_content
        assert data is not None and data["totals"]["requests"] == 3
        assert Decimal(data["totals"]["estimated_cost_usd"]) == Decimal("0.3")
        assert data["by_phase"][0]["key"] == "build" and data["by_tenant"][0]["key"] == "local"
        check = await client.call_tool("budget_check", {"task_id": "T-1", "estimate_cost_usd": "0.6"})
        result = check.structured_content
        assert result is not None and result["passed"] is True and result["applied_budgets"] == ["defaults"]
        assert result["warnings"][0]["metric"] == "estimatedCostUsd"
        over = await client.call_tool("budget_check", {"estimate_cost_usd": 0.75})
        assert over.structured_content is not None and over.structured_content["passed"] is False
        for bad, code in (({"estimate_cost_usd": -1}, "invalid_number: estimated cost must be a non-negative"),
                          ({"estimate_cost_usd": "abc"}, "invalid_number: invalid number: abc"),
                          ({"estimate_cost_usd": "NaN"}, "invalid_number"), ({"task_id": "NOPE"}, "task_not_found")):
            failed = await client.call_tool("budget_check", bad)
            assert failed.is_error is True and code in text_of(failed), text_of(failed)
        bad_record = await client.call_tool("usage_record", {
            "task_id": "T-1", "role": "developer", "provider": "p", "model": "m", "prompt_id": "p",
            "response_id": "r", "input_tokens": "-3"})
        assert bad_record.is_error is True and "invalid_number" in text_of(bad_record)
    assert ledger_app.ledger.count() == 3


@MODES
async def test_aliases_and_provider_complete(ledger_app: Orchestra, mode: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    async with Client(create_server(ledger_app), mode=mode) as client:
        aliases = await client.call_tool("model_aliases", {})
        assert aliases.structured_content is not None
        assert aliases.structured_content["aliases"][0]["provider"] == "ollama"
        with loopback_ollama("status:502", "ok") as (url, script):
            monkeypatch.setenv("OLLAMA_BASE_URL", url)
            done = await client.call_tool("provider_complete", {
                "messages": [{"role": "user", "content": "hi"}], "task_id": "T-1", "role": "developer",
                "phase": "build"})
            assert done.is_error is False, text_of(done)
            data = done.structured_content
            assert data is not None and data["content"] == "hello from ollama" and data["attempts"] == 2
            denied = await client.call_tool("provider_complete", {
                "messages": [{"role": "user", "content": CANARY}], "task_id": "T-1", "role": "developer"})
            assert denied.is_error is True and "provider_egress_denied" in text_of(denied)
            assert CANARY not in text_of(denied)
            unknown = await client.call_tool("provider_complete", {
                "messages": [{"role": "user", "content": "x"}], "task_id": "T-1", "role": "developer",
                "alias": "fast"})
            assert unknown.is_error is True and "unknown_model_alias" in text_of(unknown)
            assert len(script.seen) == 2
        report = await client.call_tool("usage_report", {})
        assert report.structured_content is not None
        assert report.structured_content["by_provider"][0]["key"] == "ollama"
