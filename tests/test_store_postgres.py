"""The PostgreSQL store itself: placeholders, migrations per dialect, serialised writes across processes,
snapshot reads, coded errors, and a process killed mid-transaction (real server, real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.errors import ConfigError, StoreError, StoreUnusableError
from orchestra.store.dialect import POSTGRES, SQLITE, postgres_ddl, to_pyformat
from orchestra.store.factory import DATABASE_URL_ENV, target_from
from orchestra.store.migrations import LATEST_VERSION, MIGRATIONS
from orchestra.store.postgres import PostgresStore, redacted_url
from orchestra.store.schema_name import check_schema_name, workspace_schema
from orchestra.workspace.layout import WorkspaceLayout

HERE = Path(__file__).parent


def test_placeholders_outside_literals_and_comments_only() -> None:
    assert to_pyformat("SELECT ? WHERE a = '?' AND b LIKE 'x%' -- ?\n AND c = ?") == (
        "SELECT %s WHERE a = '?' AND b LIKE 'x%%' -- ?\n AND c = %s")
    assert to_pyformat("SELECT \"we?ird\", 'it''s ?', ? /* ? */") == "SELECT \"we?ird\", 'it''s ?', %s /* ? */"
    assert to_pyformat("SELECT 5 % ?") == "SELECT 5 %% %s"


def test_ddl_types_and_per_dialect_statements() -> None:
    ddl = postgres_ddl("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB) WITHOUT ROWID")
    assert " ".join(ddl.split()) == "CREATE TABLE t (a BIGINT PRIMARY KEY, b BYTEA)"
    sqlite_sql = [s for m in MIGRATIONS for s in m.statements_for(SQLITE)]
    pg_sql = [s for m in MIGRATIONS for s in m.statements_for(POSTGRES)]
    assert not any("RAISE(ABORT" in s for s in pg_sql) and not any("orchestra_refuse" in s for s in sqlite_sql)
    assert sum("CREATE TRIGGER" in s for s in pg_sql) > sum("CREATE TRIGGER" in s for s in sqlite_sql)  # + TRUNCATE


def test_schema_names_are_validated_and_derived(tmp_path: Path) -> None:
    for bad in ("", "Upper", "pg_catalog", "public", "a-b", "x" * 64, 'a"; drop'):
        with pytest.raises(ConfigError):
            check_schema_name(bad)
    one, two = workspace_schema(tmp_path / "My Repo"), workspace_schema(tmp_path / "other" / "My Repo")
    assert one != two and one.startswith("orchestra_my_repo_") and check_schema_name(one) == one


def test_database_url_selects_postgres_and_must_be_postgresql(tmp_path: Path) -> None:
    layout = WorkspaceLayout(tmp_path)
    assert target_from(layout, {}).dialect == SQLITE
    pg = target_from(layout, {DATABASE_URL_ENV: "postgresql://u@h/db", "ORCHESTRA_DATABASE_SCHEMA": "team_a"})
    assert (pg.dialect, pg.schema) == (POSTGRES, "team_a")
    with pytest.raises(ConfigError):
        target_from(layout, {DATABASE_URL_ENV: "mysql://h/db"})
    assert redacted_url("postgresql://bob:s3cret@db.example:5433/orch?sslmode=require") == \
        "postgresql://db.example:5433/orch"


def test_connection_refused_is_a_clear_error_without_credentials() -> None:
    with pytest.raises(StoreUnusableError) as caught:
        PostgresStore("postgresql://bob:s3cret@127.0.0.1:1/x", "orchestra_refused")
    assert "connection refused" in caught.value.message and "s3cret" not in caught.value.message


def test_open_migrates_a_fresh_schema_and_reopens(pg_url: str) -> None:
    store = PostgresStore(pg_url, "orchestra_t_migrate")
    try:
        assert store.schema_version == LATEST_VERSION
        assert store.check_integrity() == []
        with store.write() as tx:
            tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, status,"
                       " created_at, updated_at) VALUES (?, ?, '', '[]', '[]', 'todo', 'x', 'x')", ("T1", "it's ?%"))
        with store.read() as tx:
            row = tx.fetchone("SELECT id, title FROM tasks WHERE title LIKE 'it''s%'")
            assert row is not None and (row[0], row["title"]) == ("T1", "it's ?%")
            assert tx.now().tzinfo is not None
        with pytest.raises(StoreError), store.read() as tx:
            tx.execute("DELETE FROM tasks")  # READ ONLY transaction
    finally:
        store.close()
    again = PostgresStore(pg_url, "orchestra_t_migrate")
    try:
        assert again.schema_version == LATEST_VERSION
    finally:
        again.drop_schema()
        again.close()


def test_a_foreign_schema_with_tables_is_refused(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS not_ours; CREATE TABLE IF NOT EXISTS not_ours.t (a int)")
    with pytest.raises(StoreUnusableError):
        PostgresStore(pg_url, "not_ours")


def test_append_only_tables_refuse_update_delete_and_truncate(pg_url: str) -> None:
    store = PostgresStore(pg_url, "orchestra_t_append")
    try:
        with store.write() as tx:
            tx.execute("INSERT INTO events (seq, id, type, actor, summary, metadata, artifacts, timestamp, prev_hash,"
                       " hash) VALUES (1, 'e1', 'T', 'a', 's', '{}', '[]', 't', 'p', 'h')")
        for statement in ("UPDATE events SET summary = 'x'", "DELETE FROM events", "TRUNCATE events",
                          "TRUNCATE ledger"):
            with pytest.raises(StoreError, match="refused the change"), store.write() as tx:
                tx.execute(statement)
        with store.read() as tx:
            assert tx.fetchone("SELECT summary FROM events WHERE seq = 1")["summary"] == "s"  # type: ignore[index]
    finally:
        store.drop_schema()
        store.close()


COUNTER_WORKER = """
import sys
from orchestra.store.postgres import PostgresStore
store = PostgresStore(sys.argv[1], sys.argv[2])
for _ in range(int(sys.argv[3])):
    with store.write() as tx:  # read-modify-write: only serialised writers keep every increment
        n = tx.fetchone("SELECT CAST(goal AS BIGINT) AS n FROM tasks WHERE id = 'counter'")["n"]
        tx.execute("UPDATE tasks SET goal = ? WHERE id = 'counter'", (str(n + 1),))
store.close()
"""


@pytest.mark.slow
def test_writers_of_one_schema_are_serialised_across_processes(pg_url: str) -> None:
    store = PostgresStore(pg_url, "orchestra_t_counter")
    try:
        with store.write() as tx:
            tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, status,"
                       " created_at, updated_at) VALUES ('counter', 'c', '0', '[]', '[]', 'todo', 'x', 'x')")
        procs = [subprocess.Popen([sys.executable, "-c", COUNTER_WORKER, pg_url, "orchestra_t_counter", "40"])
                 for _ in range(4)]
        assert [p.wait(timeout=240) for p in procs] == [0, 0, 0, 0]
        with store.read() as tx:
            assert tx.fetchone("SELECT goal FROM tasks WHERE id = 'counter'")["goal"] == "160"  # type: ignore[index]
    finally:
        store.drop_schema()
        store.close()


HOLDER = """
import sys, time
from orchestra.store.postgres import PostgresStore
store = PostgresStore(sys.argv[1], sys.argv[2])
for i in range(3):
    with store.write() as tx:
        tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, status, created_at,"
                   " updated_at) VALUES (?, 't', '', '[]', '[]', 'todo', 'x', 'x')", (f"acked-{i}",))
    print(f"acked-{i}", flush=True)
with store.write() as tx:
    tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, status, created_at,"
               " updated_at) VALUES ('unacked', 't', '', '[]', '[]', 'todo', 'x', 'x')")
    print("holding", flush=True)
    time.sleep(120)
"""


@pytest.mark.slow
def test_a_process_killed_mid_transaction_loses_no_acked_write_and_frees_the_lock(pg_url: str) -> None:
    schema = "orchestra_t_kill"
    store = PostgresStore(pg_url, schema, busy_timeout_s=20)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, pg_url, schema], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        assert lines == ["acked-0", "acked-1", "acked-2", "holding"]
        os.kill(proc.pid, signal.SIGKILL)  # it holds the scope's write lock and an uncommitted row
        proc.wait(timeout=30)
        started = time.monotonic()
        with store.write() as tx:  # the server notices the dead client and releases its advisory lock
            ids = {r["id"] for r in tx.fetchall("SELECT id FROM tasks")}
        assert ids == {"acked-0", "acked-1", "acked-2"}
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
        store.drop_schema()
        store.close()


@pytest.mark.slow
@pytest.mark.postgres_only
def test_a_lease_of_a_killed_process_expires_by_the_database_clock(workspace: Path) -> None:
    with Orchestra.open(workspace) as app:
        assert app.store.dialect == POSTGRES
    script = (
        "import sys; from pathlib import Path; from orchestra.app import Orchestra\n"
        "app = Orchestra.open(Path(sys.argv[1]))\n"
        "d = app.capacity.request({'request_id': 'r1', 'lease_ttl_ms': 1000})\n"
        "lease = d.lease; assert lease is not None\n"
        "print(lease.lease_id, flush=True)\n"
        "import time; time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(workspace)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lease_id = proc.stdout.readline().strip()
        assert lease_id.startswith("lease-")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        with Orchestra.open(workspace) as app:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                app.capacity.sweep()
                with app.store.read() as tx:
                    row = tx.fetchone("SELECT status FROM capacity_leases WHERE seq = ?", (int(lease_id[6:]),))
                if row is not None and row["status"] != "active":
                    break
                time.sleep(0.3)
            assert row is not None and row["status"] != "active"
            with app.store.read() as tx:
                active = tx.fetchone("SELECT COALESCE(SUM(active), 0) AS n FROM capacity_usage")
            assert active is not None and int(active["n"]) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stores_of_many_schemas_share_one_pool_per_database(pg_url: str) -> None:
    """A hosted server keeps one schema per open scope: their stores share the process's pool of at most
    POOL_MAX connections (not one pool each), and the pool closes with the last store."""
    from orchestra.store.postgres import POOL_MAX, _SharedPools

    stores = [PostgresStore(pg_url, f"shared_pool_{i}") for i in range(12)]
    try:
        for number, store in enumerate(stores):
            with store.write() as tx:
                assert tx.fetchone("SELECT current_schema() AS s")["s"] == f"shared_pool_{number}"  # type: ignore[index]
        pool, users = _SharedPools._pools[pg_url]
        assert users >= len(stores) and pool.get_stats()["pool_size"] <= POOL_MAX
    finally:
        for store in stores:
            store.close()
    assert pg_url not in _SharedPools._pools
