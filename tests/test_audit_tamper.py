"""Tampering with the keyed audit chain, through ``orchestra audit verify`` / ``audit head`` (issue 14, item 5).

Each case edits the real store (the SQLite file, or the PostgreSQL schema) with a plain connection, the
way an attacker with write access to the database would; "with the key" cases also read
``.agent-workflow/keys/workspace.key``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from orchestra.app import Orchestra
from orchestra.events import NewEvent
from orchestra.events.chain import GENESIS_HASH, ChainKey, event_hash, hashed_fields
from orchestra.store import sqlite as sqlite_store
from orchestra.store.migrations import MIGRATIONS
from tests.helpers import run_cli
from tests.raw_db import RawConnection, raw

TRIGGERS = ("events_no_update", "events_no_delete", "audit_head_no_delete", "audit_chain_no_delete",
            "audit_chain_sealed")


def _db(workspace: Path) -> Path:
    return workspace / ".agent-workflow" / "state.db"


def _key(workspace: Path) -> ChainKey:
    return ChainKey((workspace / ".agent-workflow" / "keys" / "workspace.key").read_bytes())


def _populate(workspace: Path, n: int = 6) -> None:
    with Orchestra.open(workspace) as app:
        for i in range(n):
            app.events.record(NewEvent(type="TEST_EVENT", actor="test", summary=f"event {i}", metadata={"i": i}))


def _raw(workspace: Path) -> RawConnection:
    return raw(workspace)


def _drop_triggers(conn: RawConnection, *names: str) -> None:
    for name in names or TRIGGERS:
        conn.drop_trigger(name)


def _restore_triggers(conn: RawConnection) -> None:
    """Put the append-only triggers back exactly as the migrations create them (an attacker would)."""
    conn.restore_triggers(TRIGGERS)


def _fields(row: sqlite3.Row, **changes: object) -> dict[str, object]:
    data = {**dict(row), **changes}
    return hashed_fields(seq=int(data["seq"]), event_id=str(data["id"]), type_=str(data["type"]),  # type: ignore[arg-type]
                         actor=str(data["actor"]), task_id=data["task_id"], summary=str(data["summary"]),  # type: ignore[arg-type]
                         metadata_json=str(data["metadata"]), artifacts_json=str(data["artifacts"]),
                         timestamp=str(data["timestamp"]))


def _rewrite(conn: sqlite3.Connection, link: Callable[[dict[str, object], str], str],
             head_mac: Callable[[int, str], str] | None, *, edit_seq: int) -> None:
    """Edit one event's summary and recompute every later link and the head with ``link``."""
    rows = conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    prev = GENESIS_HASH if edit_seq == 1 else rows[edit_seq - 2]["hash"]
    for row in rows[edit_seq - 1:]:
        summary = "forged summary" if row["seq"] == edit_seq else row["summary"]
        digest = link(_fields(row, summary=summary), prev)
        conn.execute("UPDATE events SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (summary, prev, digest, row["seq"]))
        prev = digest
    mac = head_mac(len(rows), prev) if head_mac else ""
    conn.execute("UPDATE audit_head SET hash = ?, mac = ? WHERE id = 1", (prev, mac))


def _verify(workspace: Path, *extra: str) -> tuple[int, dict[str, object]]:
    cli = run_cli("audit", "verify", "--json", "--workspace", str(workspace), *extra)
    return cli.returncode, json.loads(cli.stdout)


def _head(workspace: Path) -> str:
    cli = run_cli("audit", "head", "--workspace", str(workspace))
    assert cli.returncode == 0, cli.stderr
    return cli.stdout.strip()


def test_clean_chain_verifies_and_extends_its_anchor(workspace: Path, tmp_path: Path) -> None:
    _populate(workspace)
    anchor = _head(workspace)
    assert json.loads(anchor)["seq"] == 6 and len(json.loads(anchor)["mac"]) == 64
    anchor_file = tmp_path / "anchor.json"
    anchor_file.write_text(anchor, encoding="utf-8")
    _populate(workspace, 3)  # the chain grows past the anchor
    code, report = _verify(workspace, "--anchor", str(anchor_file))
    assert code == 0, report
    assert report["events_checked"] == 9 and report["anchor_seq"] == 6 and report["keyed_from_seq"] == 1
    plain = run_cli("audit", "verify", "--workspace", str(workspace), "--anchor", f"6:{json.loads(anchor)['mac']}")
    assert plain.returncode == 0 and "extends the anchor at event 6" in plain.stdout


def test_malformed_anchor_is_refused(workspace: Path) -> None:
    _populate(workspace, 1)
    for bad in ("nonsense", '{"seq": -1, "mac": "00"}', "3:zz", f"0:{'1' * 64}"):
        cli = run_cli("audit", "verify", "--workspace", str(workspace), "--anchor", bad)
        assert cli.returncode == 2 and "invalid_input" in cli.stderr


def test_tail_cut_and_head_moved_back_without_the_key_is_caught(workspace: Path) -> None:
    _populate(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    row = conn.execute("SELECT seq, hash FROM events WHERE seq = 4").fetchone()
    conn.execute("DELETE FROM events WHERE seq > 4")
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (row["seq"], row["hash"]))
    _restore_triggers(conn)
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and "head" in str(report["problem"])


def test_tail_cut_with_the_key_needs_an_anchor(workspace: Path) -> None:
    _populate(workspace)
    anchor = _head(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    row = conn.execute("SELECT seq, hash FROM events WHERE seq = 4").fetchone()
    conn.execute("DELETE FROM events WHERE seq > 4")
    conn.execute("UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1",
                 (row["seq"], row["hash"], _key(workspace).head(4, row["hash"])))
    _restore_triggers(conn)
    conn.close()
    code, _ = _verify(workspace)
    assert code == 0  # documented: with the key and no anchor, a truncated tail is a valid shorter chain
    code, report = _verify(workspace, "--anchor", anchor)
    assert code == 1 and "anchor" in str(report["problem"]) and report["broken_at_seq"] == 5


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how", ["plain-sha256", "wrong-key"])
def test_edit_and_recompute_every_link_without_the_key_is_caught(workspace: Path, how: str) -> None:
    _populate(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    forger = ChainKey(b"x" * 32)
    link = event_hash if how == "plain-sha256" else forger.link
    _rewrite(conn, link, forger.head, edit_seq=3)
    _restore_triggers(conn)
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and report["broken_at_seq"] == 3


@pytest.mark.sqlite_only
def test_edit_with_the_key_before_the_anchor_is_caught_by_the_anchor(workspace: Path) -> None:
    _populate(workspace)
    anchor = _head(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    key = _key(workspace)
    _rewrite(conn, key.link, key.head, edit_seq=2)
    _restore_triggers(conn)
    conn.close()
    assert _verify(workspace)[0] == 0  # documented: the key holder can rewrite history...
    code, report = _verify(workspace, "--anchor", anchor)
    assert code == 1 and "rewritten" in str(report["problem"])  # ...but not behind an anchor kept elsewhere


def test_appended_forged_event_is_caught(workspace: Path) -> None:
    _populate(workspace)
    conn = _raw(workspace)
    last = conn.execute("SELECT * FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    other = "1" if last["id"].endswith("0") else "0"  # a new id (the ids end in random hex: 1 in 16 ends in 0)
    forged = {**dict(last), "seq": 7, "id": last["id"][:-1] + other, "summary": "forged approval"}
    fields = hashed_fields(seq=7, event_id=forged["id"], type_=forged["type"], actor=forged["actor"],
                           task_id=forged["task_id"], summary=forged["summary"], metadata_json=forged["metadata"],
                           artifacts_json=forged["artifacts"], timestamp=forged["timestamp"])
    digest = event_hash(fields, last["hash"])
    conn.execute("INSERT INTO events (seq, id, type, actor, task_id, summary, metadata, artifacts, timestamp,"
                 " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (7, forged["id"], forged["type"], forged["actor"], forged["task_id"], forged["summary"],
                  forged["metadata"], forged["artifacts"], forged["timestamp"], last["hash"], digest))
    conn.execute("UPDATE audit_head SET seq = 7, hash = ? WHERE id = 1", (digest,))
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and report["broken_at_seq"] == 7


def test_deleting_every_event_and_the_head_is_caught(workspace: Path) -> None:
    _populate(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    conn.execute("DELETE FROM events")
    conn.execute("DELETE FROM audit_head")
    _restore_triggers(conn)
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and "the audit head is missing" in report["problems"]  # type: ignore[operator]


def test_deleting_the_seal_too_is_caught(workspace: Path) -> None:
    _populate(workspace)
    conn = _raw(workspace)
    _drop_triggers(conn)
    conn.execute("DELETE FROM events")
    conn.execute("DELETE FROM audit_head")
    conn.execute("DELETE FROM audit_chain")
    _restore_triggers(conn)
    conn.close()
    code, report = _verify(workspace)  # opening does not re-create a removed seal
    assert code == 1 and "the audit chain seal is missing" in report["problems"]  # type: ignore[operator]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_dropped_trigger_is_a_failure(workspace: Path, trigger: str) -> None:
    _populate(workspace, 2)
    conn = _raw(workspace)
    _drop_triggers(conn, trigger)
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and f"append-only trigger '{trigger}' is missing" in report["problems"]  # type: ignore[operator]


@pytest.mark.sqlite_only
def test_a_database_failing_quick_check_is_a_failure(workspace: Path) -> None:
    _populate(workspace, 40)
    conn = _raw(workspace)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events_by_type'").fetchone()[0]
    conn.close()
    with _db(workspace).open("r+b") as handle:  # scribble over the index's b-tree page header
        handle.seek((root - 1) * page_size)
        handle.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff" * 4)
    code, report = _verify(workspace)
    assert code == 1 and "quick_check" in str(report["problem"])


def _legacy_workspace(workspace: Path, n: int) -> None:
    """A state database at the last schema before the keyed chain, with plain-sha256 links."""
    keyed = next(m.version for m in MIGRATIONS if "keyed audit chain" in m.description)
    legacy = tuple(m for m in MIGRATIONS if m.version < keyed)
    folder = workspace / ".agent-workflow"
    folder.mkdir()
    with mock.patch.object(sqlite_store, "MIGRATIONS", legacy), \
            mock.patch.object(sqlite_store, "LATEST_VERSION", legacy[-1].version):
        store = sqlite_store.SQLiteStore(folder / "state.db")
    prev = GENESIS_HASH
    with store.write() as tx:
        for seq in range(1, n + 1):
            fields = hashed_fields(seq=seq, event_id=f"2026-01-01T00:00:00.000Z-{seq:016x}", type_="TEST_EVENT",
                                   actor="old", task_id=None, summary=f"legacy {seq}", metadata_json="{}",
                                   artifacts_json="[]", timestamp="2026-01-01T00:00:00.000Z")
            digest = event_hash(fields, prev)
            tx.execute("INSERT INTO events (seq, id, type, actor, task_id, summary, metadata, artifacts, timestamp,"
                       " prev_hash, hash) VALUES (?, ?, 'TEST_EVENT', 'old', NULL, ?, '{}', '[]', ?, ?, ?)",
                       (seq, fields["id"], fields["summary"], fields["timestamp"], prev, digest))
            prev = digest
        tx.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)", (n, prev))
    store.close()


@pytest.mark.sqlite_only  # the legacy (pre-keyed) chain exists only in SQLite files of earlier versions
def test_legacy_chain_is_sealed_on_upgrade_and_keeps_verifying(workspace: Path) -> None:
    _legacy_workspace(workspace, 4)
    _populate(workspace, 2)  # opens (migrates + seals) and appends keyed events
    code, report = _verify(workspace)
    assert code == 0, report
    assert report["keyed_from_seq"] == 5 and report["events_checked"] == 6


@pytest.mark.sqlite_only
def test_rewriting_the_legacy_prefix_is_caught_after_the_upgrade(workspace: Path) -> None:
    _legacy_workspace(workspace, 4)
    with Orchestra.open(workspace):
        pass  # sealed, no keyed event yet: the seal alone vouches for the legacy links
    conn = _raw(workspace)
    _drop_triggers(conn)
    rows = conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    prev = GENESIS_HASH
    for row in rows:  # recompute every legacy link: consistent sha256, but the seal covers the old last link
        summary = "forged" if row["seq"] == 2 else row["summary"]
        digest = event_hash(_fields(row, summary=summary), prev)
        conn.execute("UPDATE events SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (summary, prev, digest, row["seq"]))
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev,))
    _restore_triggers(conn)
    conn.close()
    code, report = _verify(workspace)
    assert code == 1 and "seal" in " ".join(report["problems"])  # type: ignore[arg-type]
