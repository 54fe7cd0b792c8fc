"""Envelope encryption: every category round-trips; any tampering fails closed; tenants' keys are separate."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestra.app import Orchestra
from orchestra.fragments import LocalKeyProvider, local_operator
from orchestra.fragments.envelope import NONCE_BYTES, open_envelope, seal
from orchestra.fragments.errors import EnvelopeIntegrityError
from orchestra.fragments.keys import wrap_context
from tests.fragments.helpers import HUMAN, SAMPLES, SCOPE, append, policy

OpenApp = Callable[[dict[str, Any]], Orchestra]


def _restore(app: Orchestra, fragment_id: str) -> Any:
    return app.fragments.restore(fragment_id, reason="incident 42: rotate the leaked value", principal=local_operator())


@pytest.mark.parametrize(("category", "value", "template"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_round_trip_for_every_category(open_app: OpenApp, category: str, value: str, template: str) -> None:
    app = open_app(policy())
    _, message_id = append(app, template.format(v=value), "k-1")
    stored = app.chat.list_messages(SCOPE, app.chat.list_threads(SCOPE).threads[0].id).messages[0]
    assert value not in stored.content.text and "[REDACTED_" in stored.content.text
    [shadow] = app.fragments.list_fragments(source_id=message_id).fragments
    assert shadow.category.value == category and shadow.lifecycle_status.value == "encrypted"
    assert shadow.redaction_marker in stored.content.text and shadow.marker_index == 0
    assert value not in shadow.model_dump_json()
    result = _restore(app, shadow.fragment_id)
    assert result.status.value == "allowed_by_policy" and result.restored
    assert result.plaintext == value


def _tamper(db: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def _flip(blob: bytes, index: int = 0) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1:]


def _blob(db: Path, table: str, column: str, fragment_id: str) -> bytes:
    conn = sqlite3.connect(db)
    try:
        value: bytes = conn.execute(f"SELECT {column} FROM {table} WHERE fragment_id = ?", (fragment_id,)).fetchone()[0]
        return value
    finally:
        conn.close()


TAMPERS = {
    "ciphertext": lambda db, fid: _tamper(db, "UPDATE restricted_fragment_ciphertexts SET ciphertext = ? WHERE "
                                          "fragment_id = ?", (_flip(_blob(db, "restricted_fragment_ciphertexts",
                                                                            "ciphertext", fid), 3), fid)),
    "tag": lambda db, fid: _tamper(db, "UPDATE restricted_fragment_ciphertexts SET ciphertext = ? WHERE "
                                   "fragment_id = ?", (_flip(_blob(db, "restricted_fragment_ciphertexts",
                                                                     "ciphertext", fid), -1), fid)),
    "nonce": lambda db, fid: _tamper(db, "UPDATE restricted_fragment_ciphertexts SET nonce = ? WHERE fragment_id = ?",
                                     (_flip(_blob(db, "restricted_fragment_ciphertexts", "nonce", fid)), fid)),
    "aad_category": lambda db, fid: _tamper(db, "UPDATE restricted_fragments SET category = 'token' WHERE "
                                            "fragment_id = ?", (fid,)),
    "aad_retention": lambda db, fid: _tamper(db, "UPDATE restricted_fragments SET retention_class = 'evidence' "
                                             "WHERE fragment_id = ?", (fid,)),
    "aad_workspace": lambda db, fid: _tamper(db, "UPDATE restricted_fragments SET workspace_id = 'other' WHERE "
                                             "fragment_id = ?", (fid,)),
    "wrapped_key": lambda db, fid: _tamper(db, "UPDATE restricted_fragment_keys SET wrapped_key = ? WHERE "
                                           "fragment_id = ?", (_flip(_blob(db, "restricted_fragment_keys",
                                                                             "wrapped_key", fid), 20), fid)),
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("what", list(TAMPERS))
def test_tampering_fails_closed_and_is_audited(open_app: OpenApp, what: str) -> None:
    app = open_app(policy())
    _, message_id = append(app, "password=CanaryPass12345", "k-1")
    [shadow] = app.fragments.list_fragments(source_id=message_id).fragments
    TAMPERS[what](app.layout.db_path, shadow.fragment_id)
    result = _restore(app, shadow.fragment_id)
    assert result.restored is False and result.plaintext is None
    assert result.status.value == "not_allowed" and result.failed_preconditions == ["integrity"]
    assert "CanaryPass" not in result.model_dump_json()
    denied = app.events.list(event_type="RESTRICTED_FRAGMENT_DECRYPT_DENIED")
    assert denied[-1].metadata["failedPreconditions"] == ["integrity"]


@pytest.mark.sqlite_only
def test_a_wrapped_key_moved_to_another_fragment_does_not_open_it(open_app: OpenApp) -> None:
    app = open_app(policy())
    _, first = append(app, "password=CanaryPass12345", "k-1")
    thread = app.chat.list_threads(SCOPE).threads[0].id
    _, second = append(app, "password=OtherPass98765", "k-2", thread)
    [a] = app.fragments.list_fragments(source_id=first).fragments
    [b] = app.fragments.list_fragments(source_id=second).fragments
    db = app.layout.db_path
    _tamper(db, "UPDATE restricted_fragment_keys SET wrapped_key = ? WHERE fragment_id = ?",
            (_blob(db, "restricted_fragment_keys", "wrapped_key", a.fragment_id), b.fragment_id))
    assert _restore(app, b.fragment_id).failed_preconditions == ["integrity"]
    assert _restore(app, a.fragment_id).plaintext == "CanaryPass12345"


@pytest.mark.sqlite_only
def test_a_wrong_tenants_key_cannot_decrypt(open_app: OpenApp) -> None:
    app = open_app(policy())
    fragments: dict[str, str] = {}
    for tenant in ("acme", "globex"):
        scope = {**SCOPE, "tenant_id": tenant}
        thread = app.chat.create_thread(scope, "t", HUMAN).id
        message = app.chat.append_message(scope, thread, f"password=Secret{tenant}Pass123", HUMAN, "k").message.id
        fragments[tenant] = app.fragments.list_fragments(source_id=message).fragments[0].fragment_id
    keys = app.fragments.key_status().versions
    assert {v.tenant_id for v in keys} == {"acme", "globex"} and len({v.key_id for v in keys}) == 2
    provider = LocalKeyProvider(app.layout.fragment_keys_dir)
    fid = fragments["acme"]
    db = app.layout.db_path
    wrapped = _blob(db, "restricted_fragment_keys", "wrapped_key", fid)
    [acme] = app.fragments.list_fragments(source_id=None, tenant_id="acme").fragments
    for tenant, key_id in (("globex", provider.key_id("globex")), ("globex", provider.key_id("acme"))):
        context = wrap_context(tenant_id="acme", workspace_id=acme.workspace_id, fragment_id=fid,
                               category=acme.category.value, policy_id=acme.policy_id,
                               retention_class=acme.retention_class, key_id=key_id, version=1)
        with pytest.raises(EnvelopeIntegrityError):
            provider.unwrap(tenant, 1, wrapped, context)
    # the row moved to the other tenant: its key does not open it either
    _tamper(db, "UPDATE restricted_fragments SET tenant_id = 'globex' WHERE fragment_id = ?", (fid,))
    _tamper(db, "UPDATE restricted_fragment_keys SET tenant_id = 'globex', key_id = ? WHERE fragment_id = ?",
            (provider.key_id("globex"), fid))
    moved = _restore(app, fid)
    assert moved.restored is False and moved.failed_preconditions == ["integrity"]
    assert _restore(app, fragments["globex"]).plaintext == "SecretglobexPass123"


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300), aad=st.binary(max_size=64), position=st.integers(min_value=0))
def test_seal_round_trip_and_any_flipped_byte_fails(text: str, aad: bytes, position: int) -> None:
    sealed = seal(text, aad)
    assert open_envelope(sealed.data_key, sealed.nonce, sealed.ciphertext, aad) == text
    assert len(text.encode()) < 12 or text.encode() not in sealed.ciphertext
    index = position % len(sealed.ciphertext)
    with pytest.raises(EnvelopeIntegrityError):
        open_envelope(sealed.data_key, sealed.nonce, _flip(sealed.ciphertext, index), aad)
    with pytest.raises(EnvelopeIntegrityError):
        open_envelope(sealed.data_key, _flip(sealed.nonce, position % NONCE_BYTES), sealed.ciphertext, aad)
    with pytest.raises(EnvelopeIntegrityError):
        open_envelope(sealed.data_key, sealed.nonce, sealed.ciphertext, aad + b"x")


def test_key_files_are_private(open_app: OpenApp) -> None:
    app = open_app(policy())
    append(app, "password=CanaryPass12345", "k-1")
    files = list(app.layout.fragment_keys_dir.rglob("*.key"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    assert files[0].parent.stat().st_mode & 0o777 == 0o700
