"""Six processes deciding capacity on one workspace never exceed any quota, and decide each request once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from tests.capacity.conftest import open_capacity

WORKER = Path(__file__).parents[1] / "workers" / "capacity_worker.py"
DELEGATION_WORKER = Path(__file__).parents[1] / "workers" / "delegation_worker.py"
STARTS = {"CAPACITY_ADMITTED", "CAPACITY_PROMOTED"}
ENDS = {"CAPACITY_RELEASED", "CAPACITY_LEASE_EXPIRED"}
CONFIG = {"platform": {"maxActive": 4, "maxQueued": 10}, "tenant": {"maxActive": 3, "maxQueued": 8},
          "workspace": {"maxActive": 2, "maxQueued": 5}, "tenants": {"t2": {"maxActive": 1}}}


@pytest.mark.slow
def test_six_processes_never_exceed_quotas(workspace: Path) -> None:
    open_capacity(workspace, None, CONFIG).close()
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(workspace), str(w), "60", str(500 + w)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(6)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    decided = [line.split() for out, _ in outputs for line in out.splitlines()]
    assert len(decided) == 360 and len({d[1] for d in decided}) == 360, "each request decided once"
    statuses = Counter(d[2] for d in decided)
    assert statuses["admitted"] and statuses["queued"] and statuses["rejected"], statuses
    with Orchestra.open(workspace) as app:
        for _ in range(40):  # promoted leases have no owner here: let them expire, queue drains into them
            app.capacity.sweep()
            snap = app.capacity.snapshot()
            if snap.active == snap.queued == 0:
                break
            time.sleep(0.3)
        assert snap.active == snap.queued == 0
        assert app.events.verify().ok
        events = []
        after = 0
        while page := app.events.list(after_seq=after, limit=500):
            events.extend(page)
            after = page[-1].seq
    live: dict[str, dict[str, str]] = {}
    peak = 0
    for event in events:
        lease = event.metadata.get("leaseId")
        if event.type in STARTS:
            live[lease] = event.metadata["scope"]
        elif event.type in ENDS:
            live.pop(lease, None)
        scopes = list(live.values())
        peak = max(peak, len(scopes))
        assert len(scopes) <= 4
        tenants = Counter(s["tenant_id"] for s in scopes)
        assert tenants["t1"] <= 3 and tenants["t2"] <= 1, tenants
        spaces = Counter((s["tenant_id"], s["workspace_id"]) for s in scopes)
        assert all(n <= 2 for n in spaces.values())
    assert peak == 4


@pytest.mark.slow
def test_delegation_at_default_queue_size(workspace: Path) -> None:
    """The delegation contention of tests/delegation at the default maxQueued: rejections, never a breach."""
    app = open_capacity(workspace, None, {})
    for task in ("T-1", "T-2", "T-3", "T-4", "T-5", "T-6"):
        app.tasks.add({"id": task, "title": task, "owner_role": "developer", "acceptance_criteria": ["ok"]})
    app.close()
    script = ("import sys, runpy\n"
              "from orchestra.delegation.errors import DelegationRejectedError\n"
              "sys.argv = sys.argv[1:]\n"
              "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
              "except DelegationRejectedError as exc:\n    print('rejected', exc.details.get('reasonCode'))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(DELEGATION_WORKER), str(workspace), str(w), "40",
                               str(900 + w)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(6)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    with Orchestra.open(workspace) as app:
        snap = app.capacity.snapshot()
        assert snap.active <= 3 and snap.queued <= 25
        with app.store.read() as tx:
            sessions = Counter(r["status"] for r in tx.fetchall("SELECT status FROM delegation_sessions"))
        assert sessions["queued"] == snap.queued
        assert sum(sessions[s] for s in ("requested", "spawned", "active", "suspended")) == snap.active
    assert json.dumps(snap.model_dump())  # serialisable
