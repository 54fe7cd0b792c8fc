"""The audit log: chain integrity, tamper detection, append-only triggers, concurrency, crash safety."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.errors import StoreError, ValidationError
from orchestra.events import NewEvent
from tests.helpers import run_cli
from tests.raw_db import RawConnection, raw

WRITER = Path(__file__).parent / "workers" / "event_writer.py"


def _append(app: Orchestra, n: int) -> None:
    for i in range(n):
        app.events.record(NewEvent(type="TEST_EVENT", actor="test", summary=f"event {i}", metadata={"i": i}))


def _raw(workspace: Path) -> RawConnection:
    return raw(workspace)


def test_events_chain_and_verify(app: Orchestra) -> None:
    _append(app, 5)
    events = app.events.list()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert events[0].id.startswith(events[0].timestamp + "-") and len(events[0].id.split("-")[-1]) == 16
    report = app.events.verify()
    assert report.ok and report.events_checked == 5 and report.head_seq == 5


def test_events_filters_and_limits(app: Orchestra) -> None:
    app.tasks.add({"id": "T1", "title": "one"})
    _append(app, 3)
    assert [e.type for e in app.events.list(task_id="T1")] == ["TASK_CREATED"]
    assert len(app.events.list(event_type="TEST_EVENT", after_seq=2)) == 2
    with pytest.raises(ValidationError):
        app.events.list(limit=0)


def test_update_and_delete_are_refused_by_the_database(app: Orchestra) -> None:
    _append(app, 2)
    with pytest.raises(StoreError), app.store.write() as tx:
        tx.execute("UPDATE events SET summary = 'changed' WHERE seq = 1")
    with pytest.raises(StoreError), app.store.write() as tx:
        tx.execute("DELETE FROM events WHERE seq = 2")
    assert app.events.verify().ok


def test_non_json_metadata_is_rejected(app: Orchestra) -> None:
    with pytest.raises(ValidationError):
        app.events.record(NewEvent(type="TEST_EVENT", actor="t", summary="s", metadata={"x": object()}))
    assert app.events.count() == 0


def _tamper(workspace: Path, *statements: str) -> None:
    conn = _raw(workspace)
    conn.drop_trigger("events_no_update")
    conn.drop_trigger("events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.close()


@pytest.mark.parametrize(
    ("statements", "broken_at"),
    [
        (("UPDATE events SET summary = 'forged' WHERE seq = 3",), 3),
        (("UPDATE events SET metadata = '{\"i\":99}' WHERE seq = 5",), 5),
        (("DELETE FROM events WHERE seq = 2",), 3),
        (("DELETE FROM events WHERE seq = 6",), 6),
        (("UPDATE events SET seq = 100 WHERE seq = 2", "UPDATE events SET seq = 2 WHERE seq = 3",
          "UPDATE events SET seq = 3 WHERE seq = 100"), 2),
    ],
    ids=["edit-summary", "edit-metadata", "delete-middle", "delete-last", "reorder"],
)
def test_tampering_is_caught_by_audit_verify(workspace: Path, statements: tuple[str, ...], broken_at: int) -> None:
    with Orchestra.open(workspace) as app:
        _append(app, 6)
    _tamper(workspace, *statements)
    with Orchestra.open(workspace) as app:
        report = app.events.verify()
    assert not report.ok
    assert report.broken_at_seq == broken_at
    assert any("trigger" in p for p in report.problems)
    cli = run_cli("audit", "verify", "--workspace", str(workspace))
    assert cli.returncode == 1
    assert f"BROKEN at event {broken_at}" in cli.stderr


@pytest.mark.slow
def test_four_processes_append_concurrently_without_loss(workspace: Path) -> None:
    with Orchestra.open(workspace):
        pass  # create and migrate first so workers race on appends, not on schema
    procs = [
        subprocess.Popen([sys.executable, str(WRITER), str(workspace), str(w), "200"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(4)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    acked = [line.split() for out, _ in outputs for line in out.splitlines()]
    assert len(acked) == 800
    with Orchestra.open(workspace) as app:
        assert app.events.count() == 800
        report = app.events.verify()
        events = []
        after = 0
        while page := app.events.list(after_seq=after, limit=500):
            events.extend(page)
            after = page[-1].seq
    assert report.ok and report.events_checked == 800
    assert [e.seq for e in events] == list(range(1, 801))
    assert {e.id for e in events} == {ack[2] for ack in acked}
    for writer in map(str, range(4)):
        ns = [e.metadata["n"] for e in events if e.metadata["writer"] == writer]
        assert ns == list(range(1, 201))  # each writer's events appear in its own order, none lost


@pytest.mark.slow
def test_killed_writer_loses_no_acknowledged_event(workspace: Path) -> None:
    with Orchestra.open(workspace):
        pass
    proc = subprocess.Popen([sys.executable, str(WRITER), str(workspace), "k", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(line.split()[2])
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(acked) >= 150, proc.stderr.read() if proc.stderr else ""
    with Orchestra.open(workspace) as app:
        assert app.store.check_integrity() == []
    with Orchestra.open(workspace) as app:
        stored = {e.id for e in app.events.list(limit=500)}
        after = max(e.seq for e in app.events.list(limit=500))
        while page := app.events.list(after_seq=after, limit=500):
            stored |= {e.id for e in page}
            after = page[-1].seq
        assert set(acked) <= stored
        assert app.events.verify().ok
        app.events.record(NewEvent(type="TEST_EVENT", actor="after", summary="after the crash"))
        assert app.events.verify().ok
