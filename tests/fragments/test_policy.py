"""Retention policy: disabled by default, shadow_only keeps no ciphertext, clear config errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.errors import ConfigError
from tests.fragments.helpers import SCOPE, append, policy, rows_containing, write_config

OpenApp = Callable[[dict[str, Any]], Orchestra]


@pytest.mark.sqlite_only
def test_disabled_by_default_keeps_nothing(app: Orchestra) -> None:
    append(app, "password=CanaryPass12345", "k-1")
    assert app.fragments.enabled is False
    assert app.fragments.list_fragments().count == 0
    assert not app.layout.fragment_keys_dir.exists()
    assert rows_containing(app.layout.db_path, "CanaryPass12345") == []
    assert [e for e in app.events.list(limit=500) if e.type.startswith("RESTRICTED_FRAGMENT_")] == []


def test_shadow_only_keeps_a_shadow_and_no_ciphertext(open_app: OpenApp) -> None:
    app = open_app(policy("shadow_only", allow_restore=False))
    _, message_id = append(app, "password=CanaryPass12345 and SSN 219-09-9999", "k-1")
    shadows = sorted(app.fragments.list_fragments(source_id=message_id).fragments, key=lambda s: s.marker_index)
    assert [(s.category.value, s.marker_index, s.lifecycle_status.value) for s in shadows] == [
        ("password", 0, "shadow_only"), ("sensitive_pii", 1, "shadow_only")]
    with app.store.read() as tx:
        assert tx.fetchone("SELECT COUNT(*) AS n FROM restricted_fragment_ciphertexts")["n"] == 0  # type: ignore[index]
        assert tx.fetchone("SELECT COUNT(*) AS n FROM restricted_fragment_keys")["n"] == 0  # type: ignore[index]
    types = [e.type for e in app.events.list(limit=500)]
    assert "RESTRICTED_FRAGMENT_SHADOW_RECORDED" in types and "RESTRICTED_FRAGMENT_ENCRYPTED" not in types


def test_a_policy_covers_only_its_categories_and_sinks(open_app: OpenApp) -> None:
    app = open_app(policy(categories=["password"], sinks=["transcript"]))
    _, message_id = append(app, "password=CanaryPass12345 mail jane.roe@acme-corp.io", "k-1")
    [shadow] = app.fragments.list_fragments(source_id=message_id).fragments
    assert shadow.category.value == "password" and shadow.marker_index == 0


@pytest.mark.parametrize(("section", "expected"), [
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["transcript"], "mode": "plaintext"}]},
     "restrictedFragments.policies[0].mode: "),
    ({"policies": [{"id": "a", "categories": ["pin"], "sinks": ["transcript"], "mode": "encrypted"}]},
     "restrictedFragments.policies[0].categories[0]: "),
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["provider"], "mode": "encrypted"}]},
     "restrictedFragments.policies[0].sinks[0]: "),
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["transcript"], "mode": "shadow_only",
                    "allowRestore": True}]}, "allowRestore needs mode 'encrypted'"),
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["transcript"], "mode": "encrypted"},
                   {"id": "b", "categories": ["password"], "sinks": ["transcript"], "mode": "shadow_only"}]},
     "category 'password' in sink 'transcript' is already covered by policy 'a'"),
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["transcript"], "mode": "encrypted"},
                   {"id": "a", "categories": ["token"], "sinks": ["transcript"], "mode": "encrypted"}]},
     "policy id 'a' is used twice"),
    ({"policies": [{"id": "a", "categories": ["password"], "sinks": ["transcript"], "mode": "encrypted",
                    "retentionDays": 0}]}, "restrictedFragments.policies[0].retentionDays: "),
    ({"policies": [], "mode": "on"}, "config.json restrictedFragments.mode: "),
])
def test_bad_policies_are_clear_config_errors(workspace: Path, section: dict[str, Any], expected: str) -> None:
    write_config(workspace, {"restrictedFragments": section})
    with pytest.raises(ConfigError) as caught:
        Orchestra.open(workspace)
    assert caught.value.code == "config_invalid" and expected in caught.value.message, caught.value.message


def test_idempotent_replay_stores_no_second_fragment(open_app: OpenApp) -> None:
    app = open_app(policy())
    thread, message_id = append(app, "password=CanaryPass12345", "k-1")
    again = app.chat.append_message(SCOPE, thread, "password=CanaryPass12345",
                                    {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "cli",
                                     "session_id": "s1"}, "k-1")
    assert again.idempotent_replay and again.message.id == message_id
    assert app.fragments.list_fragments().count == 1
