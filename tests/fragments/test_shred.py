"""Crypto-shred: after a shred nothing (db, -wal, workspace files, or a pre-shred backup with today's keys)
can recover the value; thread, task and tenant deletes shred; legal holds are respected."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.clock import utc_now
from orchestra.fragments import LocalKeyProvider, local_operator
from orchestra.fragments.errors import EnvelopeIntegrityError, KeyUnavailableError, LegalHoldError
from orchestra.fragments.keys import wrap_context
from tests.delegation.conftest import write_handoff
from tests.fragments.helpers import HUMAN, SCOPE, append, files_containing, policy

OpenApp = Callable[[dict[str, Any]], Orchestra]
REASON = "incident 7"


def _fragment(app: Orchestra, message_id: str) -> str:
    return app.fragments.list_fragments(source_id=message_id).fragments[0].fragment_id


def _row(db: Path, sql: str, params: tuple[Any, ...]) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def _backup(db: Path, dest: Path) -> None:
    source, target = sqlite3.connect(db), sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


@pytest.mark.sqlite_only
def test_nothing_recovers_a_shredded_fragment(open_app: OpenApp, workspace: Path, tmp_path: Path) -> None:
    app = open_app(policy())
    canary = "CanaryShred9f3k2LmQ"
    thread, doomed_message = append(app, f"password={canary}", "k-1")
    _, kept_message = append(app, "password=KeptValueZq777x", "k-2", thread)
    doomed, kept = _fragment(app, doomed_message), _fragment(app, kept_message)
    db = app.layout.db_path
    cipher = _row(db, "SELECT ciphertext, nonce FROM restricted_fragment_ciphertexts WHERE fragment_id = ?", (doomed,))
    wrapped = _row(db, "SELECT wrapped_key FROM restricted_fragment_keys WHERE fragment_id = ?", (doomed,))[0]
    before = tmp_path / "before-shred.db"
    _backup(db, before)

    result = app.fragments.shred(doomed, actor="dpo", reason_code="gdpr_erasure")
    assert result.status.value == "crypto_shredded" and result.fragment_ids == [doomed]
    assert result.ciphertext_deleted == 1 and result.key_destroyed == 1 and result.rewrapped == 1
    assert result.backup_expiry_pending is True and result.destroyed_key_versions and result.wal_checkpointed
    [shadow] = app.fragments.list_fragments(source_id=doomed_message).fragments
    assert shadow.lifecycle_status.value == "crypto_shredded" and shadow.plaintext_digest is None

    # the live database and its -wal keep neither the ciphertext nor the wrapped key nor the value
    for needle in (cipher[0], wrapped, canary.encode()):
        assert files_containing(workspace, needle) == []  # state.db, state.db-wal and every other file

    # a copy of the database from before the shred, with the keys that exist now, opens nothing
    provider = LocalKeyProvider(app.layout.fragment_keys_dir)
    key_id = provider.key_id("local")
    for version in range(1, 6):
        context = wrap_context(tenant_id="local", workspace_id="local", fragment_id=doomed, category="password",
                               policy_id="keep-all", retention_class="transcript", key_id=key_id, version=version)
        with pytest.raises((EnvelopeIntegrityError, KeyUnavailableError)):
            provider.unwrap("local", version, wrapped, context)
    restored_ws = tmp_path / "restored"
    shutil.copytree(workspace, restored_ws)
    for suffix in ("", "-wal", "-shm"):
        (restored_ws / ".agent-workflow" / f"state.db{suffix}").unlink(missing_ok=True)
    shutil.copy(before, restored_ws / ".agent-workflow" / "state.db")
    with Orchestra.open(restored_ws) as from_backup:
        old = from_backup.fragments.restore(doomed, reason=REASON, principal=local_operator())
        assert old.restored is False and old.status.value == "blocked_key_destroyed"

    types = [e.type for e in app.events.list(limit=500) if e.type.startswith("RESTRICTED_FRAGMENT_")]
    assert types[-4:] == ["RESTRICTED_FRAGMENT_CIPHERTEXT_DELETED", "RESTRICTED_FRAGMENT_KEY_DESTROYED",
                          "RESTRICTED_FRAGMENT_BACKUP_EXPIRY_PENDING", "RESTRICTED_FRAGMENT_CRYPTO_SHREDDED"]
    # the other fragment was rewrapped and still restores
    assert app.fragments.restore(kept, reason=REASON, principal=local_operator()).plaintext == "KeptValueZq777x"


def test_deleting_a_thread_shreds_its_fragments(open_app: OpenApp) -> None:
    app = open_app(policy())
    thread, first = append(app, "password=ThreadPassOne1", "k-1")
    _, second = append(app, "token ghp_Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7 end", "k-2", thread)
    _, other = append(app, "password=OtherThread999", "k-3")
    deleted = app.chat.delete("thread", thread_id=thread, actor_id="dpo", actor_role="auditor", reason_code="erase")
    assert deleted.fragments_shredded == 2
    states = {s.source_message_id: s.lifecycle_status.value for s in app.fragments.list_fragments().fragments}
    assert states == {first: "crypto_shredded", second: "crypto_shredded", other: "encrypted"}
    assert app.fragments.restore(_fragment(app, other), reason=REASON, principal=local_operator()).restored
    again = app.chat.delete("thread", thread_id=thread, actor_id="dpo", actor_role="auditor", reason_code="erase")
    assert again.fragments_shredded == 0 and again.already_deleted


def test_deleting_a_task_shreds_chat_and_handoff_fragments(open_app: OpenApp, workspace: Path) -> None:
    app = open_app(policy())
    app.tasks.add({"id": "T-1", "title": "Task", "goal": "g", "acceptance_criteria": ["ok"], "owner_role": "dev"})
    append(app, "password=ChatPassTask1", "k-1")
    sid = app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": "do it"}).session_id
    path = write_handoff(app, sid, body="Done. The db password=HandoffPass4242 was rotated.")
    app.delegation.update({"session_id": sid, "status": "completed", "artifact": path,
                           "summary": "used sk_live_4eC39HqLyjWDarjtT1zdp7dc"})
    kinds = sorted(s.source_kind for s in app.fragments.list_fragments(task_id="T-1").fragments)
    assert kinds == ["chat_message", "handoff_artifact", "handoff_summary"]
    handoff = next(s for s in app.fragments.list_fragments(task_id="T-1").fragments
                   if s.source_kind == "handoff_artifact")
    assert "HandoffPass4242" not in (workspace / path).read_text()
    assert app.fragments.restore(handoff.fragment_id, reason=REASON,
                                 principal=local_operator()).plaintext == "HandoffPass4242"
    deleted = app.chat.delete("task", task_id="T-1", actor_id="dpo", actor_role="auditor", reason_code="erase")
    assert deleted.fragments_shredded == 3
    assert {s.lifecycle_status.value for s in app.fragments.list_fragments().fragments} == {"crypto_shredded"}


def test_tenant_shred_destroys_the_tenants_key_versions(open_app: OpenApp) -> None:
    app = open_app(policy())
    ids = {}
    for tenant in ("acme", "globex"):
        scope = {**SCOPE, "tenant_id": tenant}
        thread = app.chat.create_thread(scope, "t", HUMAN).id
        message = app.chat.append_message(scope, thread, f"password=Pass{tenant}12345", HUMAN, "k").message.id
        ids[tenant] = _fragment(app, message)
    provider = LocalKeyProvider(app.layout.fragment_keys_dir)
    result = app.fragments.shred_tenant("acme", actor="dpo", reason_code="tenant_offboarding")
    assert result.fragment_ids == [ids["acme"]] and result.destroyed_key_versions == [f"{provider.key_id('acme')}@v1"]
    assert not provider.has_version("acme", 1) and provider.has_version("globex", 1)
    states = {(v.tenant_id, v.state) for v in app.fragments.key_status().versions}
    assert states == {("acme", "destroyed"), ("globex", "active")}
    assert app.fragments.restore(ids["acme"], reason=REASON, principal=local_operator()).status.value == \
        "blocked_key_destroyed"
    assert app.fragments.restore(ids["globex"], reason=REASON, principal=local_operator()).restored


def test_legal_hold_blocks_shred(open_app: OpenApp) -> None:
    app = open_app(policy(legal_hold=True))
    thread, message = append(app, "password=HeldValueZq99x", "k-1")
    fid = _fragment(app, message)
    with pytest.raises(LegalHoldError):
        app.fragments.shred(fid, actor="dpo", reason_code="erase")
    with pytest.raises(LegalHoldError):
        app.fragments.shred_tenant("local", actor="dpo", reason_code="erase")
    deleted = app.chat.delete("thread", thread_id=thread, actor_id="dpo", actor_role="auditor", reason_code="erase")
    assert deleted.fragments_shredded == 0
    [shadow] = app.fragments.list_fragments().fragments
    assert shadow.lifecycle_status.value == "encrypted" and shadow.legal_hold


def test_shred_of_a_shadow_reports_raw_not_persisted(open_app: OpenApp) -> None:
    app = open_app(policy("shadow_only", allow_restore=False))
    _, message = append(app, "password=ShadowOnly12345", "k-1")
    result = app.fragments.shred(_fragment(app, message), actor="dpo", reason_code="erase")
    assert result.status.value == "raw_not_persisted" and result.raw_not_persisted == 1
    assert result.ciphertext_deleted == 0 and result.key_destroyed == 0 and result.destroyed_key_versions == []


def test_expired_fragments_are_shredded_on_request(open_app: OpenApp) -> None:
    app = open_app(policy(retention_days=1))
    _, message = append(app, "password=ExpiresSoon1234", "k-1")
    assert app.fragments.shred_expired(actor="cli").fragment_ids == []
    app.fragments.clock = lambda: utc_now() + timedelta(days=2)
    assert app.fragments.shred_expired(actor="cli").fragment_ids == [_fragment(app, message)]
