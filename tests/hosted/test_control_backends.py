"""The control store the environment selects (control.db, or the PostgreSQL control schema) keeps the same
token and admission semantics on both backends (a settable clock makes expiry and the rate exact)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestra.errors import NotFoundError
from orchestra.hosted.admission import AdmissionLimits, AdmissionService
from orchestra.hosted.control_open import HostedControl, open_control
from orchestra.hosted.errors import RateLimitedError, UnauthorizedError
from orchestra.hosted.tokens import TokenService
from tests.hosted.test_tokens import Clock


@pytest.fixture
def control(data_dir: Path, scope_backend: str) -> Iterator[HostedControl]:
    """The data dir's control state on the test's backend."""
    opened = open_control(data_dir)
    assert opened.shared == (scope_backend == "postgres")
    yield opened
    opened.close()


def test_tokens_expire_and_are_revoked_alike(control: HostedControl) -> None:
    clock = Clock()
    tokens = TokenService(control.store, control.token_key, clock=clock)
    created = tokens.create("acme", "web", "admin", "1h")
    assert tokens.verify(created.token).scope.label == "admin"
    clock.now += 3600
    with pytest.raises(UnauthorizedError, match="expired"):
        tokens.verify(created.token)
    other = tokens.create("acme", "api", "read", "1d")
    assert [(i.token_id, i.status) for i in tokens.list("acme")] == [(other.info.token_id, "active"),
                                                                      (created.info.token_id, "expired")]
    assert tokens.revoke(other.info.token_id).revoked_at == clock.now
    with pytest.raises(UnauthorizedError, match="revoked"):
        tokens.verify(other.token)
    with pytest.raises(NotFoundError):
        tokens.revoke("tok_0000000000000000")


def test_database_clock_orders_tokens(control: HostedControl) -> None:
    """Without an injected clock the store's clock stamps tokens (the database server's on PostgreSQL)."""
    tokens = TokenService(control.store, control.token_key)
    first = tokens.create("acme", "web", "read", "1d").info
    second = tokens.create("acme", "web", "read", "1d").info
    assert first.created_at <= second.created_at and second.expires_at - second.created_at == 86400
    assert tokens.verify(tokens.create("acme", "web", "write", "1d").token).scope.label == "write"


def test_gcra_and_leases_alike(control: HostedControl) -> None:
    clock = Clock()
    admission = AdmissionService(control.store, AdmissionLimits(rate=60, concurrency=4, lease_ttl_s=30),
                                 clock=clock)
    for _ in range(60):
        admission.check_rate("p")
    with pytest.raises(RateLimitedError) as refused:
        admission.check_rate("p")
    assert refused.value.retry_after_s == 1
    clock.now += 1.0
    admission.check_rate("p")
    leases = [admission.acquire("p") for _ in range(4)]
    with pytest.raises(RateLimitedError, match="concurrent"):
        admission.acquire("p")
    admission.acquire("q")  # another principal has its own slots
    admission.release(leases[0])
    leases[0] = admission.acquire("p")
    clock.now += 31  # a crashed server's leases expire
    assert admission.active("p") == 0
    fresh = [admission.acquire("p") for _ in range(4)]
    assert admission.active("p") == 4 and not admission.renew(leases[1])
    assert admission.renew(fresh[0])
