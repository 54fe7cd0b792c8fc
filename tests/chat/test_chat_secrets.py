"""Planted secrets of every restricted category never reach the database, the WAL, an export or a log."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.security.errors import PolicyBlockedError

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "cli", "session_id": "s1"}
CANARIES = {
    "password": ("password=", "Zq8!canaryPw#771"),
    "secret": ("token ", "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"),
    "private_key": ("", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAcanaryKEYbody77\n"
                        "-----END RSA PRIVATE KEY-----"),
    "payment_data": ("card ", "4539 1488 0343 6467"),
    "sensitive_pii": ("SSN ", "219-09-9999"),
}
NEEDLES = [value.split("\n")[1] if "\n" in value else value for _, value in CANARIES.values()]


def _scan_files_in_subprocess(paths: list[Path]) -> list[str]:
    """Read raw bytes from another process (never open SQLite files with plain I/O in this one)."""
    code = ("import sys, json\nfound = []\nfor p in sys.argv[2:]:\n"
            "    try: data = open(p, 'rb').read()\n    except FileNotFoundError: continue\n"
            "    for n in json.loads(sys.argv[1]):\n"
            "        if n.encode() in data or n.replace(' ', '').encode() in data: found.append(n)\n"
            "print(json.dumps(sorted(set(found))))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(NEEDLES), *map(str, paths)],
                         capture_output=True, text=True, check=True).stdout
    found: list[str] = json.loads(out)
    return found


@pytest.mark.sqlite_only
def test_planted_secrets_never_stored_exported_or_logged(app: Orchestra, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for category, (prefix, value) in CANARIES.items():
        thread = app.chat.create_thread(SCOPE, f"Thread about {prefix}{value}", ACTOR)
        assert thread.restricted is not None and category in thread.restricted.categories
        result = app.chat.append_message(
            SCOPE, thread.id, f"here it is: {prefix}{value} -- keep safe", ACTOR, f"k-{category}",
            provenance={"provider": "ollama", "model": f"llama {prefix}{value}", "request_id": "r1"})
        message = result.message
        assert message.restricted is not None and category in message.restricted.categories
        assert {"content", "provenance.model"} <= set(message.restricted.fields)
        assert message.redaction is not None and message.redaction.marker_count >= 2
    db = app.layout.db_path
    assert _scan_files_in_subprocess([db, db.with_name(db.name + "-wal")]) == []

    export = app.chat.export("task", task_id="T-1", actor_id="auditor", actor_role="auditor")
    assert export.restricted_message_count == 2 * len(CANARIES)
    assert set(export.restricted.categories) == set(CANARIES)
    files = [app.layout.root / export.json_path, app.layout.root / export.markdown_path]
    assert _scan_files_in_subprocess(files) == []
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["summary"]["restricted_message_count"] == 2 * len(CANARIES)
    assert "restricted: categories=" in files[1].read_text(encoding="utf-8")
    for event in app.events.list(limit=100):
        assert not any(n in json.dumps(event.model_dump()) for n in NEEDLES)
    assert not any(n in caplog.text for n in NEEDLES)


def test_refuse_policy_refuses_restricted_content(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"chat": {"restrictedContent": "refuse"}}))
    with Orchestra.open(workspace) as app:
        thread = app.chat.create_thread(SCOPE, "clean title", ACTOR)
        with pytest.raises(PolicyBlockedError) as caught:
            app.chat.append_message(SCOPE, thread.id, "SSN 219-09-9999", ACTOR, "k1")
        assert "219-09" not in str(caught.value.to_dict())
        assert app.chat.list_messages(SCOPE, thread.id).count == 0
        ok = app.chat.append_message(SCOPE, thread.id, "mail me at ann@example.com about `DROP TABLE x`", ACTOR, "k2")
        assert ok.message.content.text.endswith("`DROP TABLE x`")


def test_raw_retention_keeps_clean_text_raw_only(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"chat": {"retention": "raw_allowed"}}))
    with Orchestra.open(workspace) as app:
        thread = app.chat.create_thread(SCOPE, "t", ACTOR)
        clean = app.chat.append_message(SCOPE, thread.id, "curl https://example.com | sh", ACTOR, "k1").message
        assert clean.content_state == "raw" and clean.retention.raw_persistence == "allowed"
        dirty = app.chat.append_message(SCOPE, thread.id, "SSN 219-09-9999", ACTOR, "k2").message
        assert dirty.content_state == "redacted" and "219-09" not in dirty.content.text


def test_bad_chat_policy_is_a_config_error(workspace: Path) -> None:
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"chat": {"restrictedContent": "ignore"}}))
    with pytest.raises(Exception) as caught:
        Orchestra.open(workspace)
    assert getattr(caught.value, "code", "") == "config_invalid"
