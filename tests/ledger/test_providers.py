"""The guarded provider path against a real loopback HTTP server speaking Ollama's OpenAI-compatible API."""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.errors import OrchestraError
from orchestra.providers import ChatMessage
from tests.ledger.conftest import OpenApp
from tests.ledger.loopback import loopback_ollama

pytestmark = pytest.mark.anyio
CANARY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXqPROV"
SCOPE = {"task_id": "T-1", "role": "developer", "phase": "build", "initiated_by": "parent_agent"}
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "tool", "content": "ls output"},
            {"role": "user", "content": "say hi"}]


def ollama_config(**defaults: Any) -> dict[str, Any]:
    base = {"provider": "ollama", "model": "llama3.1:8b", "retries": 2, "timeoutMs": 2000}
    return {"providers": {"defaults": {**base, **defaults}}}


@pytest.fixture
def ollama_app(open_app: OpenApp) -> Orchestra:
    app = open_app(ollama_config())
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
    return app


def db_dump(app: Orchestra) -> str:
    db = sqlite3.connect(app.layout.db_path)
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


async def test_success_request_shape_usage_and_ledger(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # ignored: no proxies for provider calls
        done = await ollama_app.providers.complete(MESSAGES, scope=SCOPE, max_tokens=64, temperature=0.2)
    assert done.content == "hello from ollama" and done.finish_reason == "stop" and done.attempts == 1
    assert (done.input_tokens, done.output_tokens, done.usage_source) == (12, 7, "provider")
    assert done.response_id == "chatcmpl-42" and done.cost_source == "not_billed"
    [seen] = script.seen
    assert seen.path == "/v1/chat/completions" and seen.headers["authorization"] == "Bearer ollama"
    assert seen.body == {"model": "llama3.1:8b", "stream": False, "max_tokens": 64, "temperature": 0.2,
                         "messages": [{"role": "system", "content": "be brief"},
                                      {"role": "user", "content": "ls output"},
                                      {"role": "user", "content": "say hi"}]}
    report = ollama_app.ledger.report("T-1")
    assert report.totals.requests == 1 and report.totals.total_tokens == 19
    assert [b.key for b in report.by_phase] == ["build"] and [b.key for b in report.by_initiator] == ["parent_agent"]


async def test_missing_usage_is_estimated_and_marked(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("no_usage") as (url, _):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        monkeypatch.setenv("OLLAMA_API_KEY", "local-key")
        done = await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert done.usage_source == "estimated" and done.output_tokens == 5  # ceil(17 / 4)
    with ollama_app.store.read() as tx:
        row = tx.fetchone("SELECT usage_source, usage_unavailable_rationale FROM ledger")
    assert row is not None and row["usage_source"] == "estimated" and "estimated" in row["usage_unavailable_rationale"]


async def test_5xx_retried_with_backoff_then_success(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("status:500", "status:503", "ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        done = await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert done.attempts == 3 and len(script.seen) == 3
    assert ollama_app.ledger.report().totals.requests == 1, "one call, one record (no double counting)"


async def test_5xx_exhausts_retries_and_records_a_failed_call(ollama_app: Orchestra,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("status:500") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        with pytest.raises(OrchestraError) as caught:
            await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert caught.value.code == "provider_unavailable" and caught.value.retryable
    assert "3 attempt(s): HTTP 500" in caught.value.message and len(script.seen) == 3
    with ollama_app.store.read() as tx:
        row = tx.fetchone("SELECT finish_reason, input_tokens, output_tokens, usage_source FROM ledger")
    assert row is not None and tuple(row) == ("error", 0, 0, "unavailable")


async def test_timeouts_are_bounded_and_retried(open_app: OpenApp, monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_app(ollama_config(timeoutMs=200, retries=1))
    app.tasks.add({"id": "T-1", "title": "t"})
    with loopback_ollama("sleep:1.5") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        started = time.monotonic()
        with pytest.raises(OrchestraError) as caught:
            await app.providers.complete(MESSAGES, scope=SCOPE)
        elapsed = time.monotonic() - started
    assert caught.value.code == "provider_unavailable" and "no answer within 0.2 s" in caught.value.message
    assert len(script.seen) == 2 and elapsed < 1.2


@pytest.mark.parametrize(("step", "text"), [
    ("malformed", "malformed JSON"), ("wrong_shape", "malformed JSON"),
    ("huge_declared", "exceeds 4194304 bytes"), ("huge_chunked", "exceeds 4194304 bytes"),
    ("redirect", "redirects are not followed"), ("status:401", "HTTP 401"),
])
async def test_unusable_answers_are_not_retried(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch,
                                                step: str, text: str) -> None:
    with loopback_ollama(step) as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        with pytest.raises(OrchestraError) as caught:
            await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert caught.value.code == "provider_bad_response" and text in caught.value.message
    assert len(script.seen) == 1
    assert "sk_live_" not in str(caught.value.details) and "127.0.0.1" not in caught.value.message


@pytest.mark.sqlite_only
async def test_restricted_content_is_blocked_before_any_connection(ollama_app: Orchestra,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        with pytest.raises(OrchestraError) as caught:
            await ollama_app.providers.complete([{"role": "user", "content": f"deploy with {CANARY}"}], scope=SCOPE)
    assert caught.value.code == "provider_egress_denied" and script.seen == []
    assert CANARY not in str(caught.value.details)
    assert [e.type for e in ollama_app.events.list(event_type="PROVIDER_EGRESS_BLOCKED")] == ["PROVIDER_EGRESS_BLOCKED"]
    assert CANARY not in db_dump(ollama_app) and ollama_app.ledger.count() == 0


@pytest.mark.parametrize("bad", ["http://user:pw@{host}/v1", "http://10.evil.com/v1", "http://8.8.8.8/v1",
                                 "http://169.254.169.254/v1", "ftp://{host}/v1"])
async def test_base_url_denied_before_any_connection(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch,
                                                     bad: str) -> None:
    with loopback_ollama("ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", bad.format(host=url.split("/")[2]))
        with pytest.raises(OrchestraError) as caught:
            await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert caught.value.code == "provider_egress_denied" and script.seen == []


async def test_budget_violation_blocks_before_any_connection(open_app: OpenApp,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_app({**ollama_config(), "budgets": {"byRole": {"developer": {"maxRequests": 0}}}})
    app.tasks.add({"id": "T-1", "title": "t"})
    with loopback_ollama("ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        with pytest.raises(OrchestraError) as caught:
            await app.providers.complete(MESSAGES, scope=SCOPE)
    assert caught.value.code == "budget_exceeded" and script.seen == []
    assert app.ledger.count() == 0


async def test_reply_passes_the_guard(ollama_app: Orchestra, monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_ollama("ok", content=f"the key is {CANARY}") as (url, _):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        done = await ollama_app.providers.complete(MESSAGES, scope=SCOPE)
    assert CANARY not in done.content and done.content_redactions == 1


async def test_fake_provider_is_deterministic_and_offline(open_app: OpenApp) -> None:
    app = open_app({"providers": {"defaults": {"provider": "fake", "model": "fake-1"}}})
    app.tasks.add({"id": "T-1", "title": "t"})
    first = await app.providers.complete([ChatMessage(role="user", content="hi")], scope=SCOPE)
    second = await app.providers.complete([{"role": "user", "content": "hi"}], scope=SCOPE)
    assert first.content == second.content and first.content.startswith("fake reply ")
    assert first.usage_source == "provider" and first.estimated_cost_usd == Decimal(0)
    assert app.ledger.report().by_provider[0].key == "fake"


async def test_configuration_errors(open_app: OpenApp) -> None:
    app = open_app({})
    app.tasks.add({"id": "T-1", "title": "t"})
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "provider_not_configured"), ({"provider": "openai", "model": "x"}, "unknown_provider"),
        ({"provider": "ollama"}, "invalid_input"), ({"alias": "fast"}, "unknown_model_alias"),
        ({"provider": "fake", "max_tokens": 0}, "invalid_input"),
        ({"provider": "fake", "temperature": 3.0}, "invalid_input"),
    ]
    for kwargs, code in cases:
        with pytest.raises(OrchestraError) as caught:
            await app.providers.complete(MESSAGES, scope=SCOPE, **kwargs)
        assert caught.value.code == code, kwargs
    for messages, scope in (([], SCOPE), ([{"role": "robot", "content": "x"}], SCOPE),
                            (MESSAGES, {"task_id": "T-1", "role": "Dev"})):
        with pytest.raises(OrchestraError, match="invalid_input"):
            await app.providers.complete(messages, scope=scope, provider="fake")
    with pytest.raises(OrchestraError, match="task_not_found"):
        await app.providers.complete(MESSAGES, scope={"task_id": "NOPE", "role": "dev"}, provider="fake")


def test_aliases(open_app: OpenApp) -> None:
    app = open_app(ollama_config())
    [alias] = app.providers.aliases()
    assert (alias.id, alias.object, alias.default, alias.provider, alias.model) == (
        "default", "model", True, "ollama", "llama3.1:8b")
    assert alias.capabilities.conversation and not alias.capabilities.streaming
    resolved = app.providers.resolve("default")
    assert resolved.provider == "ollama" and resolved is not app.config.providers.defaults
    with pytest.raises(OrchestraError, match="unknown public model alias: nope"):
        app.providers.resolve("nope")
