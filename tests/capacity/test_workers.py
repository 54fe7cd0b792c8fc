"""Worker eligibility filters and the total tie-break order."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.capacity import WorkerNotFoundError
from orchestra.errors import ValidationError
from tests.capacity.conftest import open_capacity, worker
from tests.delegation.conftest import FakeClock

WIDE = {"platform": {"maxActive": 100}, "tenant": {"maxActive": 100, "maxActivePerProvider": 100,
                                                    "maxActivePerRuntime": 100}, "workspace": {"maxActive": 100}}


def _pick(app: Orchestra, **request: object) -> str | None:
    decision = app.capacity.request({"tenant_id": "acme", "workspace_id": "w", "limit_action": "reject",
                                     "workload_class": "workflow-phase", **request})
    return decision.worker_id


def test_eligibility_filters(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, WIDE) as app:
        cap = app.capacity
        cap.worker_heartbeat("local-parent", "draining")  # take the local worker out of the picture
        cap.register_worker(worker("denied", denied_tenants=["acme"]))
        cap.register_worker(worker("other-tenant", affinity="single-tenant", allowed_tenants=["globex"]))
        cap.register_worker(worker("wrong-class", workload_classes=["interactive"]))
        cap.register_worker(worker("no-openai", providers=["anthropic"]))
        cap.register_worker(worker("sick", health="unhealthy"))
        cap.register_worker(worker("degraded", health="degraded"))
        cap.register_worker(worker("stale", heartbeat_ttl_ms=5000))
        cap.register_worker(worker("broken"))
        cap.set_circuit("broken", 60_000)
        clock.advance(seconds=6)
        assert _pick(app, provider="openai") is None
        assert app.capacity.snapshot().open_circuits == 1
        assert _pick(app, workload_class="background-maintenance") is None  # degraded lacks that class
        cap.register_worker(worker("bg", health="degraded", workload_classes=["background-maintenance"]))
        assert _pick(app, workload_class="background-maintenance") == "bg"
        cap.worker_heartbeat("stale")
        assert _pick(app, provider="openai") == "stale"
        clock.advance(seconds=61)  # every remote heartbeat (30 s TTL) is stale now; the circuit closed
        assert _pick(app) is None
        cap.worker_heartbeat("broken")
        assert _pick(app) == "broken"
        cap.register_worker(worker("small", max_units=1))
        assert _pick(app, units=2) is None  # broken holds 1 of 2 units now; small has 1


def test_total_tie_break_order(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock, WIDE) as app:
        cap = app.capacity
        cap.worker_heartbeat("local-parent", "draining")
        for wid in ("b-shared", "a-shared"):
            cap.register_worker(worker(wid, max_units=4))
        assert _pick(app) == "a-shared"  # equal on every key: worker id decides
        assert _pick(app) == "b-shared"  # a-shared has fewer free units now
        cap.register_worker(worker("us", regions=["us"], max_units=9))
        assert _pick(app, regions=["us", "eu"]) == "us"  # region rank beats free units
        cap.register_worker(worker("pool", affinity="tenant-pool", allowed_tenants=["acme"], regions=["ap"]))
        assert _pick(app, regions=["us"]) == "pool"  # affinity beats region
        cap.register_worker(worker("mine", affinity="single-tenant", allowed_tenants=["acme"], regions=["ap"]))
        assert _pick(app, regions=["us"]) == "mine"
        assert _pick(app, regions=["zz"], strict_regions=True) is None
        cap.register_worker(worker("flaky", regions=["zz"]))
        cap.set_circuit("flaky", 1000)
        clock.advance(seconds=2)
        cap.register_worker(worker("steady", regions=["zz"]))
        assert _pick(app, regions=["zz"], strict_regions=True) == "steady"  # fewer failures first


def test_same_inputs_same_decisions(tmp_path: Path) -> None:
    logs = []
    for run in range(2):
        root = tmp_path / f"ws{run}"
        root.mkdir()
        (root / ".git").mkdir()
        clock = FakeClock()
        with open_capacity(root, clock, WIDE) as app:
            for i in range(12):
                app.capacity.register_worker(worker(f"w{i:02d}", regions=["eu", "us"][i % 2:], max_units=1 + i % 3))
            logs.append([_pick(app, regions=["us"]) for _ in range(20)])
    assert logs[0] == logs[1] and None not in logs[0][:10]


def test_worker_validation(workspace: Path, clock: FakeClock) -> None:
    with open_capacity(workspace, clock) as app:
        with pytest.raises(ValidationError):
            app.capacity.register_worker(worker("x", affinity="single-tenant", allowed_tenants=[]))
        with pytest.raises(ValidationError):
            app.capacity.register_worker(worker("local-parent"))
        with pytest.raises(ValidationError):
            app.capacity.register_worker({"worker_id": "x"})
        with pytest.raises(WorkerNotFoundError):
            app.capacity.worker_heartbeat("ghost")
        assert [w.worker_id for w in app.capacity.workers()] == []
        app.capacity.request({})
        local = app.capacity.workers()[0]
        assert local.worker_id == "local-parent" and local.providers == ["*"] and local.heartbeat_ttl_ms is None
