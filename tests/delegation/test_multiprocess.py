"""Six processes issuing spawn requests on one workspace at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from tests.delegation.conftest import open_app

WORKER = Path(__file__).parents[1] / "workers" / "delegation_worker.py"
ENTERS = {"RUNTIME_SPAWN_REQUEST_RENDERED", "RUNTIME_DELEGATION_SESSION_PROMOTED"}
LEAVES = {f"RUNTIME_DELEGATION_SESSION_{s}" for s in ("COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "CLOSED")}


@pytest.mark.slow
def test_six_processes_never_exceed_the_limit(workspace: Path, backend: str) -> None:
    # 300 requests against 3 slots queue far more than the default 25 (capacity maxQueued): raise it here;
    # tests/capacity/test_multiprocess.py runs the same contention at the default queue size. On PostgreSQL
    # (one server, row locks instead of a file lock, and ~4x the cost per write) 120 requests contend as hard.
    per_worker = 50 if backend == "sqlite" else 20
    total = 6 * per_worker
    queue = {"maxQueued": 500}
    (workspace / ".agent-workflow").mkdir()
    (workspace / ".agent-workflow" / "config.json").write_text(json.dumps(
        {"capacity": {"platform": queue, "tenant": queue, "workspace": queue}}))
    app = open_app(workspace)
    for task in ("T-4", "T-5", "T-6"):
        app.tasks.add({"id": task, "title": task, "owner_role": "developer", "acceptance_criteria": ["ok"]})
    app.close()
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(workspace), str(w), str(per_worker), str(1000 + w)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(6)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    spawned = [line.split() for out, _ in outputs for line in out.splitlines() if line.startswith("spawn ")]
    assert len(spawned) == total
    ids = [s[1] for s in spawned]
    assert len(set(ids)) == total, "every request is its own session"
    with Orchestra.open(workspace) as app:
        for _ in range(400):  # drain: finish whatever holds a slot until the queue is empty
            live = app.delegation.list_sessions(status="requested", limit=500).sessions
            if not live:
                break
            for session in live:
                app.delegation.update({"session_id": session.session_id, "status": "completed",
                                       "result": {"summary": "drained"}})
        listing = app.delegation.list_sessions(include_closed=True, limit=500)
        assert listing.counts.total == total and listing.counts.queued == 0 and listing.counts.active == 0
        assert {s.session_id for s in listing.sessions} == set(ids)
        events = []
        after = 0
        while page := app.events.list(after_seq=after, limit=500):
            events.extend(page)
            after = page[-1].seq
        assert app.events.verify().ok
        queued_ids = {s[1] for s in spawned if s[2] == "queued"}
        for sid in ids:
            timeline = app.delegation.get(sid).timeline
            assert timeline[0].from_status is None, "decided exactly once"
            assert sum(1 for t in timeline if t.from_status is None) == 1
            if sid in queued_ids:
                assert any(t.from_status == "queued" and t.to_status == "requested" for t in timeline)
    holding: set[str] = set()
    peak = 0
    for event in events:
        sid = event.metadata.get("sessionId")
        if event.type in ENTERS:
            holding.add(sid)
        elif event.type in LEAVES:
            holding.discard(sid)
        peak = max(peak, len(holding))
        assert len(holding) <= 3, f"{len(holding)} sessions held slots at event {event.seq}"
    assert peak == 3 and queued_ids, "the run must actually contend for slots"
