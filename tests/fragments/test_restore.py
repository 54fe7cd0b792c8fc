"""Restore is denied by default: each precondition refused on its own, allowed only when all hold, always audited."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client

from orchestra.app import Orchestra
from orchestra.clock import utc_now
from orchestra.fragments import Principal, local_operator, mcp_caller
from orchestra.fragments.errors import GrantError
from orchestra_mcp.server import create_server
from tests.fragments.helpers import append, policy

OpenApp = Callable[[dict[str, Any]], Orchestra]
VALUE = "CanaryPass12345"
REASON = "incident 42: rotate the leaked password"


def _one(app: Orchestra) -> str:
    _, message_id = append(app, f"password={VALUE}", "k-1")
    [shadow] = app.fragments.list_fragments(source_id=message_id).fragments
    return shadow.fragment_id


def _attempts(app: Orchestra) -> list[Any]:
    return app.events.list(event_type="RESTRICTED_FRAGMENT_RESTORE_ATTEMPTED", limit=500)


def _denials(app: Orchestra) -> list[Any]:
    return app.events.list(event_type="RESTRICTED_FRAGMENT_DECRYPT_DENIED", limit=500)


def _expect_denied(app: Orchestra, result: Any, status: str, failed: list[str]) -> None:
    assert result.restored is False and result.plaintext is None
    assert result.status.value == status and result.failed_preconditions == failed
    assert VALUE not in result.model_dump_json()
    attempt, denial = _attempts(app)[-1], _denials(app)[-1]
    assert attempt.metadata["status"] == status and denial.metadata["failedPreconditions"] == failed
    assert {attempt.id, denial.id} == set(result.audit_event_ids)


def test_all_preconditions_hold(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    result = app.fragments.restore(fid, reason=REASON, principal=local_operator())
    assert result.restored and result.status.value == "allowed_by_policy" and result.plaintext == VALUE
    [attempt] = _attempts(app)
    assert attempt.metadata["status"] == "allowed_by_policy" and attempt.metadata["reasonGiven"] is True
    assert _denials(app) == [] and VALUE not in attempt.model_dump_json()


def test_unauthorized_principal(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    _expect_denied(app, app.fragments.restore(fid, reason=REASON, principal=mcp_caller()),
                   "blocked_unauthorized", ["principal"])
    outsider = Principal("hosted:eve", frozenset({"chat:read"}), "hosted")
    _expect_denied(app, app.fragments.restore(fid, reason=REASON, principal=outsider),
                   "blocked_unauthorized", ["principal"])


def test_missing_reason(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    _expect_denied(app, app.fragments.restore(fid, reason="   ", principal=local_operator()), "not_allowed",
                   ["reason"])


def test_unknown_fragment(open_app: OpenApp) -> None:
    app = open_app(policy())
    _expect_denied(app, app.fragments.restore("fragment-nope", reason=REASON, principal=local_operator()),
                   "not_allowed", ["fragment"])


def test_policy_that_does_not_allow_restore(open_app: OpenApp) -> None:
    app = open_app(policy(allow_restore=False))
    _expect_denied(app, app.fragments.restore(_one(app), reason=REASON, principal=local_operator()),
                   "blocked_policy", ["policy"])


def test_policy_removed_after_retention(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    app.close()
    later = open_app(policy(policy_id="another-policy"))
    _expect_denied(later, later.fragments.restore(fid, reason=REASON, principal=local_operator()),
                   "blocked_policy", ["policy"])


def test_shadow_only_has_nothing_to_restore(open_app: OpenApp) -> None:
    app = open_app(policy("shadow_only", allow_restore=False))
    _expect_denied(app, app.fragments.restore(_one(app), reason=REASON, principal=local_operator()),
                   "not_allowed", ["ciphertext", "policy"])


def test_legal_hold(open_app: OpenApp) -> None:
    app = open_app(policy(legal_hold=True))
    _expect_denied(app, app.fragments.restore(_one(app), reason=REASON, principal=local_operator()),
                   "blocked_legal_hold", ["legal_hold"])


def test_expired(open_app: OpenApp) -> None:
    app = open_app(policy(retention_days=30))
    fid = _one(app)
    app.fragments.clock = lambda: utc_now() + timedelta(days=31)
    _expect_denied(app, app.fragments.restore(fid, reason=REASON, principal=local_operator()),
                   "blocked_expired", ["expiry"])


def test_key_destroyed_by_shred(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    app.fragments.shred(fid, actor="dpo", reason_code="gdpr_erasure")
    _expect_denied(app, app.fragments.restore(fid, reason=REASON, principal=local_operator()),
                   "blocked_key_destroyed", ["key"])


def test_key_material_missing(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    for path in app.layout.fragment_keys_dir.rglob("*.key"):
        path.unlink()
    _expect_denied(app, app.fragments.restore(fid, reason=REASON, principal=local_operator()),
                   "blocked_key_destroyed", ["key"])


def test_an_mcp_principal_cannot_issue_a_grant(open_app: OpenApp) -> None:
    app = open_app(policy())
    fid = _one(app)
    with pytest.raises(GrantError):
        app.fragments.grant(fid, principal=mcp_caller())
    forged = Principal(mcp_caller().principal_id, frozenset({"fragments:admin"}), "mcp")
    with pytest.raises(GrantError):
        app.fragments.grant(fid, principal=forged)


@pytest.fixture(params=["legacy", "auto"])
async def client(request: pytest.FixtureRequest, open_app: OpenApp) -> AsyncIterator[tuple[Client, Orchestra]]:
    app = open_app(policy())
    async with Client(create_server(app, ["compliance"]), mode=request.param) as connected:
        yield connected, app


@pytest.mark.anyio
async def test_mcp_restore_needs_an_operator_grant(client: tuple[Client, Orchestra],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mcp, app = client
    fid = _one(app)
    names = {t.name for t in (await mcp.list_tools()).tools}
    assert {"fragment_list", "fragment_restore", "fragment_shred"} <= names
    assert not any("grant" in n for n in names)  # a model cannot authorize itself
    listed = (await mcp.call_tool("fragment_list", {})).structured_content
    assert listed is not None and listed["count"] == 1 and VALUE not in str(listed)
    denied = (await mcp.call_tool("fragment_restore", {"fragment_id": fid, "reason": REASON})).structured_content
    assert denied is not None and denied["status"] == "blocked_unauthorized" and denied.get("plaintext") is None
    forged = (await mcp.call_tool("fragment_restore", {"fragment_id": fid, "reason": REASON,
                                                       "grant_id": "grant-made-up"})).structured_content
    assert forged is not None and forged["status"] == "blocked_unauthorized"
    grant = app.fragments.grant(fid, principal=local_operator(), minutes=5)
    allowed = (await mcp.call_tool("fragment_restore", {"fragment_id": fid, "reason": REASON,
                                                        "grant_id": grant["grant_id"]})).structured_content
    assert allowed is not None and allowed["status"] == "allowed_by_policy" and allowed["plaintext"] == VALUE
    reused = (await mcp.call_tool("fragment_restore", {"fragment_id": fid, "reason": REASON,
                                                       "grant_id": grant["grant_id"]})).structured_content
    assert reused is not None and reused["status"] == "blocked_unauthorized"
    assert [e.metadata["status"] for e in _attempts(app)] == [
        "blocked_unauthorized", "blocked_unauthorized", "allowed_by_policy", "blocked_unauthorized"]
    assert all(VALUE not in r.getMessage() for r in caplog.records)  # the caller got it; no log did


@pytest.mark.anyio
async def test_a_grant_is_bound_to_its_fragment_and_expires(client: tuple[Client, Orchestra]) -> None:
    mcp, app = client
    fid = _one(app)
    thread = app.chat.list_threads({"task_id": "T-1", "run_id": "run-1", "phase": "build",
                                    "session_id": "s1"}).threads[0].id
    _, other_message = append(app, "password=SecondPass6789", "k-2", thread)
    other = app.fragments.list_fragments(source_id=other_message).fragments[0].fragment_id
    grant = app.fragments.grant(fid, principal=local_operator(), minutes=1)
    wrong = (await mcp.call_tool("fragment_restore", {"fragment_id": other, "reason": REASON,
                                                      "grant_id": grant["grant_id"]})).structured_content
    assert wrong is not None and wrong["status"] == "blocked_unauthorized"
    app.fragments.clock = lambda: utc_now() + timedelta(minutes=2)
    late = (await mcp.call_tool("fragment_restore", {"fragment_id": fid, "reason": REASON,
                                                     "grant_id": grant["grant_id"]})).structured_content
    assert late is not None and late["status"] == "blocked_unauthorized"
