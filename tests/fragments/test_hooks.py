"""Where fragments come from besides chat appends: exports of legacy rows, structured handoff results."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestra.app import Orchestra
from orchestra.fragments import local_operator
from tests.fragments.helpers import SCOPE, append, files_containing, policy

OpenApp = Callable[[dict[str, Any]], Orchestra]


def test_an_export_that_finds_a_value_retains_it_and_carries_only_its_shadow(open_app: OpenApp) -> None:
    app = open_app(policy(sinks=["export"]))
    thread, message_id = append(app, "nothing secret here", "k-1")
    legacy = "password=LegacyValue123Zq"
    with app.store.write() as tx:  # a row stored before the rule that matches it existed
        tx.execute("UPDATE chat_messages SET text = ? WHERE id = ?", (f"old note: {legacy}", message_id))
    assert app.fragments.list_fragments().count == 0
    result = app.chat.export("thread", thread_id=thread, actor_id="dpo", actor_role="auditor")
    [shadow] = app.fragments.list_fragments().fragments
    assert shadow.source_kind == "export" and shadow.retention_class == "export"
    assert shadow.source_message_id == message_id
    exported = json.loads((app.layout.root / result.json_path).read_text())
    message = exported["records"][0]["messages"][0]
    assert message["content"]["text"] == "old note: password=[REDACTED_PASSWORD]"
    assert [s["fragment_id"] for s in message["restricted_fragments"]] == [shadow.fragment_id]
    assert exported["summary"]["restricted_fragment_count"] == 1
    assert files_containing(app.layout.exports_dir, b"LegacyValue123Zq") == []
    restored = app.fragments.restore(shadow.fragment_id, reason="evidence", principal=local_operator())
    assert restored.plaintext == "LegacyValue123Zq"


def test_structured_handoff_results_are_retained_per_field(open_app: OpenApp) -> None:
    app = open_app(policy(sinks=["evidence"]))
    app.tasks.add({"id": "T-1", "title": "Task", "goal": "g", "acceptance_criteria": ["ok"], "owner_role": "dev"})
    sid = app.delegation.spawn({"task_id": "T-1", "runtime": "codex-cli", "brief": "do it"}).session_id
    token = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
    done = app.delegation.update({"session_id": sid, "status": "completed", "result": {
        "summary": "done", "notes": ["fine", f"token {token} was used"]}})
    assert done.redactions == 1 and token not in done.model_dump_json()
    [shadow] = app.fragments.list_fragments(task_id="T-1").fragments
    assert (shadow.source_kind, shadow.source_field, shadow.source_message_id) == ("handoff_result", "result.notes[1]",
                                                                                    sid)
    assert app.fragments.restore(shadow.fragment_id, reason="rotate", principal=local_operator()).plaintext == token
    assert app.chat.list_threads(SCOPE).count == 0
