"""A planted canary appears in no file, row, log, tool response or provider request at any step of a
fragment's life (append through MCP, export, provider call, restore at the CLI, shred through MCP), except
in the one place it is asked for: the operator's restore output."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.fragments.helpers import HUMAN, SCOPE, files_containing, policy, rows_containing, write_config
from tests.helpers import run_cli
from tests.ledger.loopback import loopback_ollama
from tests.surface_calls import person_approves

pytestmark = pytest.mark.anyio
CANARY = "ghp_" + "Kx7Qm2Lw9Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
EMAIL_CANARY = "canary.person@zq-secret-corp.io"


def _clean(root: Path, caplog: pytest.LogCaptureFixture, step: str, *texts: str) -> None:
    for canary in (CANARY, EMAIL_CANARY):
        assert files_containing(root, canary.encode()) == [], step
        assert rows_containing(root / ".agent-workflow" / "state.db", canary) == [], step
        assert all(canary not in r.getMessage() for r in caplog.records), step
        assert all(canary not in t for t in texts), step


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_canary_never_leaks(workspace: Path, caplog: pytest.LogCaptureFixture,
                                  monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    caplog.set_level(logging.DEBUG)
    write_config(workspace, {**policy(), "providers": {"defaults": {"provider": "ollama", "model": "llama3.1:8b"}}})
    app = Orchestra.open(workspace)
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
    thread = app.chat.create_thread(SCOPE, "Leak review", HUMAN).id
    async with Client(create_server(app, ["chat", "compliance"]), mode=mode,
                      elicitation_callback=person_approves) as client:
        appended = await client.call_tool("chat_message_append", {
            "thread_id": thread, "actor": HUMAN, "idempotency_key": "k-1",
            "text": f"I pasted {CANARY} by mistake; mail {EMAIL_CANARY}"})
        assert appended.is_error is False
        _clean(workspace, caplog, "append", json.dumps(appended.structured_content))
        listed = await client.call_tool("fragment_list", {"thread_id": thread})
        shadows: list[dict[str, Any]] = (listed.structured_content or {})["fragments"]
        assert sorted(s["category"] for s in shadows) == ["regulated_pii", "token"]
        _clean(workspace, caplog, "list", json.dumps(listed.structured_content))

        exported = await client.call_tool("chat_export", {"scope": "thread", "thread_id": thread,
                                                          "actor_id": "dpo", "actor_role": "auditor"})
        export_json = json.loads((workspace / (exported.structured_content or {})["json_path"]).read_text())
        carried = export_json["records"][0]["messages"][0]["restricted_fragments"]
        assert {s["fragment_id"] for s in carried} == {s["fragment_id"] for s in shadows}
        assert all("plaintext_digest" not in s for s in carried)
        _clean(workspace, caplog, "export", json.dumps(exported.structured_content))

        with loopback_ollama("ok", content="Rotate it now.") as (url, script):
            monkeypatch.setenv("OLLAMA_BASE_URL", url)
            await app.responder.respond(SCOPE, thread, role="developer")
        assert script.seen and all(CANARY not in json.dumps(s.body) for s in script.seen)
        assert all(EMAIL_CANARY not in json.dumps(s.body) for s in script.seen)
        _clean(workspace, caplog, "provider")

        token = next(s["fragment_id"] for s in shadows if s["category"] == "token")
        restored = run_cli("--workspace", str(workspace), "fragments", "restore", token, "--reason", "rotate")
        assert restored.returncode == 0 and restored.stdout == CANARY + "\n" and CANARY not in restored.stderr
        _clean(workspace, caplog, "restore")

        shredded = await client.call_tool("fragment_shred", {"fragment_id": token, "reason_code": "rotated"})
        assert (shredded.structured_content or {})["status"] == "crypto_shredded"
        again = run_cli("--workspace", str(workspace), "fragments", "restore", token, "--reason", "rotate")
        assert again.returncode == 1 and "blocked_key_destroyed" in again.stderr and again.stdout == ""
        _clean(workspace, caplog, "shred", again.stderr, json.dumps(shredded.structured_content))
    app.close()
    _clean(workspace, caplog, "closed")
