"""Identifier fields that look like secrets are refused before anything is written (issue 14, item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from orchestra_mcp.server import create_server
from tests.ledger.loopback import loopback_ollama

pytestmark = pytest.mark.anyio
AWS = "AKIA" + "QWERTYUIOPASDF23"
GITHUB = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"


def _refused(result: Any, field: str) -> None:
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error is True
    assert "invalid_input" in text and field in text, text
    assert AWS not in text and GITHUB not in text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_secret_identifiers_are_refused_and_nothing_is_written(open_app: Any, monkeypatch: Any,
                                                                    mode: str) -> None:
    with loopback_ollama("ok") as (url, script):
        monkeypatch.setenv("OLLAMA_BASE_URL", url)
        app = open_app({"providers": {"defaults": {"provider": "ollama", "model": "llama3.1:8b"}},
                        "mcp": {"toolGroups": ["core", "chat", "ledger"]}})
        async with Client(create_server(app, ["core", "chat", "ledger"]), mode=mode) as client:
            assert (await client.call_tool("task_add", {"id": "T1", "title": "t", "owner_role": "developer"})
                    ).is_error is False
            spawned = await client.call_tool("spawn_request", {"task_id": "T1", "runtime": "claude-cli"})
            assert spawned.is_error is False
            session = spawned.structured_content["session_id"]  # type: ignore[index]
            before = app.events.count()

            _refused(await client.call_tool("task_add", {"id": AWS, "title": "t"}), "id")
            _refused(await client.call_tool("session_update", {"session_id": session, "status": "spawned",
                                                               "agent_id": GITHUB}), "agent_id")
            _refused(await client.call_tool("spawn_request", {"task_id": "T1", "run_id": AWS}), "run_id")
            _refused(await client.call_tool("spawn_request", {"task_id": "T1", "idempotency_key": GITHUB}),
                     "idempotency_key")
            _refused(await client.call_tool("spawn_request", {"task_id": "T1", "ownership_paths": [f"src/{AWS}.py"]}),
                     "ownership_paths")
            _refused(await client.call_tool("provider_complete", {
                "messages": [{"role": "user", "content": "hi"}], "task_id": "T1", "role": "developer",
                "model": GITHUB}), "model")
            for tool in ("chat_export", "chat_delete"):
                args = {"scope": "task", "task_id": "T1", "actor_id": AWS, "actor_role": "auditor"}
                if tool == "chat_delete":
                    args["reason_code"] = "user_request"
                _refused(await client.call_tool(tool, args), "actor_id")
            missing = await client.call_tool("task_get", {"task_id": AWS})
            assert missing.is_error is True and AWS not in str(missing.content)
            assert app.events.count() == before
            assert script.seen == []
            assert app.events.verify().ok
            ok = await client.call_tool("session_update", {"session_id": session, "status": "spawned",
                                                           "agent_id": "agent-7f3a"})
            assert ok.is_error is False
