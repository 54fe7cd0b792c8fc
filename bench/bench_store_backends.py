"""The same spawn-and-complete cycle on SQLite and on PostgreSQL, in the same run, through the core library.

Each cycle is ``delegation.spawn`` (admitted: guardrails, capacity lease, prompt file, audit events) then
``delegation.update`` to ``completed`` (lease released, events), on a fresh workspace per backend. A
second figure is one empty write transaction (the backend's serialisation cost alone: SQLite's
``BEGIN IMMEDIATE``; PostgreSQL's ``BEGIN`` + ``pg_advisory_xact_lock`` + ``COMMIT``, one round trip
each way on loopback). PostgreSQL is a throwaway cluster (fsync off) unless ``BENCH_DATABASE_URL`` is set.

Run: ``python bench/bench_store_backends.py [CYCLES]``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from _common import emit, summary_ms
from orchestra.app import Orchestra
from orchestra.store.factory import DATABASE_SCHEMA_ENV, DATABASE_URL_ENV


def make_workspace(root: Path) -> None:
    (root / ".git").mkdir(parents=True)
    (root / ".agent-workflow").mkdir()
    (root / ".agent-workflow" / "config.json").write_text(json.dumps({
        "runtimePolicy": {"delegation": {"guardrails": {"maxSpawnsPerTask": 10000}}}}))
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def main() -> int:\n    return 0\n" * 20)


def measure(root: Path, cycles: int) -> dict[str, dict[str, float]]:
    cycle: list[float] = []
    empty: list[float] = []
    with Orchestra.open(root) as app:
        app.tasks.add({"id": "BENCH", "title": "bench", "owner_role": "developer", "ownership_paths": ["src/app.py"]})
        for i in range(cycles + 5):
            started = time.perf_counter()
            spawned = app.delegation.spawn({"task_id": "BENCH", "runtime": "claude-cli"})
            app.delegation.update({"session_id": spawned.session_id, "status": "completed",
                                   "result": {"summary": "bench"}})
            if i >= 5:
                cycle.append(time.perf_counter() - started)
        for i in range(cycles + 5):
            started = time.perf_counter()
            with app.store.write():
                pass
            if i >= 5:
                empty.append(time.perf_counter() - started)
    return {"cycle": summary_ms(cycle), "empty_write": summary_ms(empty)}


def main() -> None:
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    url = os.environ.get("BENCH_DATABASE_URL")
    cluster = None
    if not url:
        from tests.pg_cluster import start_cluster

        cluster = start_cluster()
        url = cluster.url
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in ("sqlite", "postgres"):
                os.environ.pop(DATABASE_SCHEMA_ENV, None)
                if backend == "postgres":
                    os.environ[DATABASE_URL_ENV] = url
                else:
                    os.environ.pop(DATABASE_URL_ENV, None)
                root = Path(tmp) / backend
                make_workspace(root)
                results[backend] = measure(root, cycles)
    finally:
        os.environ.pop(DATABASE_URL_ENV, None)
        if cluster is not None:
            cluster.stop()
    for backend, figures in results.items():
        for key, label in (("cycle", "spawn+complete"), ("empty_write", "empty write tx")):
            f = figures[key]
            print(f"{backend:<9} {label:<16} p50 {f['p50_ms']:7.2f} ms  p99 {f['p99_ms']:7.2f} ms")
    ratio = results["postgres"]["cycle"]["p50_ms"] / results["sqlite"]["cycle"]["p50_ms"]
    print(f"postgres / sqlite (cycle p50): {ratio:.2f}x")
    emit("store_backends", {"cycles": cycles, "postgres_over_sqlite_cycle_p50": round(ratio, 2),
                            **{f"{b}_{k}_{m}": v[k][m] for b, v in results.items() for k in v
                               for m in ("p50_ms", "p99_ms")}})


if __name__ == "__main__":
    main()
