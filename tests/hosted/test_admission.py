"""Admission per principal: GCRA rate and leased concurrency in the control store."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from orchestra.hosted.admission import AdmissionLimits, AdmissionService
from orchestra.hosted.control import ControlStore
from orchestra.hosted.errors import RateLimitedError
from tests.hosted.test_tokens import Clock


def service(data_dir: Path, clock: Clock, **limits: float) -> AdmissionService:
    return AdmissionService(ControlStore(data_dir / "control.db"), AdmissionLimits(**limits),  # type: ignore[arg-type]
                            clock=clock)


def test_burst_of_sixty_then_one_a_second(data_dir: Path) -> None:
    clock = Clock()
    admission = service(data_dir, clock)
    for _ in range(60):
        admission.check_rate("a")
    with pytest.raises(RateLimitedError) as refused:
        admission.check_rate("a")
    assert refused.value.retry_after_s == 1 and refused.value.code == "rate_limited"
    admission.check_rate("b")  # another principal is not affected
    clock.now += 0.5
    with pytest.raises(RateLimitedError):
        admission.check_rate("a")  # refused requests do not move the schedule
    clock.now += 0.5
    admission.check_rate("a")
    with pytest.raises(RateLimitedError):
        admission.check_rate("a")


def test_steady_state_and_retry_after(data_dir: Path) -> None:
    clock = Clock()
    admission = service(data_dir, clock, rate=6, period_s=60.0)
    admitted = 0
    for _ in range(200):  # 100 s of one attempt every 0.5 s
        try:
            admission.check_rate("k")
            admitted += 1
        except RateLimitedError as exc:
            assert 1 <= exc.retry_after_s <= 10
        clock.now += 0.5
    # the burst of 6 (t = 0 .. 2.5 s) fills the schedule to t = 60; then one per 10 s: t = 10, 20, .. 90
    assert admitted == 6 + 9
    with pytest.raises(RateLimitedError) as refused:
        for _ in range(10):
            admission.check_rate("fresh")
    assert refused.value.retry_after_s == math.ceil(10.0)


def test_concurrency_leases_expire_and_renew(data_dir: Path) -> None:
    clock = Clock()
    admission = service(data_dir, clock, concurrency=2, lease_ttl_s=10.0)
    first, second = admission.acquire("p"), admission.acquire("p")
    with pytest.raises(RateLimitedError):
        admission.acquire("p")
    admission.acquire("q")
    admission.release(first)
    third = admission.acquire("p")
    clock.now += 8
    assert admission.renew(third)
    clock.now += 5  # `second` (not renewed) expired, as if its process was killed
    assert admission.active("p") == 1
    admission.acquire("p")
    with pytest.raises(RateLimitedError):
        admission.acquire("p")
    assert not admission.renew(second)


def test_limits_are_validated() -> None:
    for bad in ({"rate": 0}, {"concurrency": 0}, {"body_bytes": 10}, {"lease_ttl_s": 0}):
        with pytest.raises(ValueError):
            AdmissionLimits(**bad)  # type: ignore[arg-type]


def test_control_schema_is_versioned(data_dir: Path) -> None:
    control = ControlStore(data_dir / "control.db")
    assert control.schema_version == 1
    with control.write() as tx:
        tx.execute("UPDATE control_meta SET value = 99 WHERE name = 'schema_version'")
    control.close()
    from orchestra.errors import SchemaTooNewError

    with pytest.raises(SchemaTooNewError):
        ControlStore(data_dir / "control.db")
