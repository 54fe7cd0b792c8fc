"""API tokens: shown once, stored as keyed digests, revocable, expiring, redacted by the guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestra.errors import NotFoundError, ValidationError
from orchestra.hosted.control import ControlStore
from orchestra.hosted.errors import UnauthorizedError
from orchestra.hosted.principal import Scope
from orchestra.hosted.tokens import TokenService, new_token, parse_duration, well_formed
from orchestra.security.guard import SecurityGuard
from tests.helpers import run_cli


class Clock:
    """A settable clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_verifies_to_its_principal_and_is_stored_only_as_a_digest(data_dir: Path, tokens: TokenService) -> None:
    created = tokens.create("acme", "web", "write", "30d", label="ci runner")
    assert created.token.startswith("orch_") and well_formed(created.token)
    principal = tokens.verify(created.token)
    assert (principal.tenant, principal.workspace, principal.scope) == ("acme", "web", Scope.WRITE)
    assert principal.credential_id == created.info.token_id
    raw = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert created.token.encode() not in raw
    assert tokens.digest(created.token).encode() in raw  # what is kept: the keyed digest
    assert [i.token_id for i in tokens.list()] == [created.info.token_id]
    assert "token" not in tokens.list()[0].model_dump()


def test_other_key_or_tampered_token_is_refused(data_dir: Path, tokens: TokenService) -> None:
    token = tokens.create("acme", "web", "read", "1d").token
    other = TokenService(ControlStore(data_dir / "control.db"), b"\x01" * 32)
    with pytest.raises(UnauthorizedError):
        other.verify(token)  # same rows, another server key: the digest differs
    flipped = token[:-7] + ("A" if token[-7] != "A" else "B") + token[-6:]
    assert not well_formed(flipped)
    for bad in (flipped, new_token(), "orch_short", "", "Bearer " + token):
        with pytest.raises(UnauthorizedError):
            tokens.verify(bad)


def test_revoked_and_expired_tokens_are_refused(data_dir: Path) -> None:
    clock = Clock()
    control = ControlStore(data_dir / "control.db")
    service = TokenService(control, TokenService.open_key(data_dir), clock=clock)
    short = service.create("acme", "web", "admin", "60s")
    kept = service.create("acme", "web", "read", "1d")
    clock.now += 59
    assert service.verify(short.token).scope is Scope.ADMIN
    clock.now += 1
    with pytest.raises(UnauthorizedError, match="expired"):
        service.verify(short.token)
    revoked = service.revoke(kept.info.token_id)
    assert revoked.status == "revoked" and revoked.revoked_at == clock.now
    with pytest.raises(UnauthorizedError, match="revoked"):
        service.verify(kept.token)
    clock.now += 5
    assert service.revoke(kept.info.token_id).revoked_at == revoked.revoked_at  # a repeat changes nothing
    with pytest.raises(NotFoundError):
        service.revoke("tok_0000000000000000")
    assert {i.status for i in service.list()} == {"expired", "revoked"}
    control.close()


@pytest.mark.parametrize(("tenant", "workspace", "scope", "expires"), [
    ("Acme", "web", "read", "1d"), ("acme", "../x", "read", "1d"), ("acme", "web", "owner", "1d"),
    ("acme", "web", "read", "0d"), ("acme", "web", "read", "400d"), ("acme", "web", "read", "soon"),
    ("", "web", "read", "1d"),
])
def test_bad_inputs_are_refused_and_nothing_is_stored(tokens: TokenService, tenant: str, workspace: str, scope: str,
                                                      expires: str) -> None:
    with pytest.raises(ValidationError):
        tokens.create(tenant, workspace, scope, expires)
    assert tokens.list() == []


def test_durations() -> None:
    assert [parse_duration(v) for v in ("45s", "90m", "12h", "30d", "2w")] == [45, 5400, 43200, 2592000, 1209600]


def test_guard_redacts_a_token_in_any_text() -> None:
    token = new_token()
    guarded = SecurityGuard(b"k" * 32).guard(f"export ORCHESTRA_TOKEN={token} and call", sink="log")
    assert token not in guarded.text and "[REDACTED_SECRET]" in guarded.text
    assert any(f.rule_id == "secret.orchestra.api-token" for f in guarded.findings)
    plain = SecurityGuard(b"k" * 32).guard("orch_" + "a" * 36, sink="log")  # no randomness, no checksum
    assert "orch_" + "a" * 36 in plain.text


def test_cli_create_list_revoke(data_dir: Path) -> None:
    created = run_cli("token", "create", "--data-dir", str(data_dir), "--tenant", "acme", "--workspace", "web",
                      "--scope", "write", "--expires", "7d", "--label", "ci")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert well_formed(token) and token not in created.stderr
    token_id = created.stderr.split()[0]
    listed = run_cli("token", "list", "--data-dir", str(data_dir), "--json")
    assert listed.returncode == 0 and token not in listed.stdout
    rows = json.loads(listed.stdout)
    assert [(r["token_id"], r["scope"], r["status"], r["label"]) for r in rows] == [(token_id, "write", "active", "ci")]
    revoked = run_cli("token", "revoke", token_id, "--data-dir", str(data_dir), "--json")
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["status"] == "revoked"
    bad = run_cli("token", "create", "--data-dir", str(data_dir), "--tenant", "acme", "--workspace", "web",
                  "--scope", "write", "--expires", "forever")
    assert bad.returncode != 0 and "invalid_input" in bad.stderr and bad.stdout == ""
    missing = run_cli("token", "list", env=None)
    assert missing.returncode != 0 and "ORCHESTRA_DATA_DIR" in missing.stderr
