"""The hosted control store on each backend: ``control.db`` (one machine) beside the PostgreSQL control
schema (several machines), with the same services and figures.

Figures per backend:
* ``verify_per_s``: API-token verifications (checksum, HMAC, one indexed read, the store's clock).
* ``admission_per_s``: one full admission (GCRA check, lease taken, lease released: three write
  transactions) per second, one thread, one principal.
* ``admission_4_threads_per_s``: the same from 4 threads, each its own principal (on PostgreSQL each
  principal's checks take their own advisory lock, so they need not wait on each other; on SQLite every
  write waits for the file's one writer).

PostgreSQL: ``TEST_DATABASE_URL`` or a throwaway cluster (tests/pg_cluster.py). The master key is random.
Run: ``python bench/bench_control.py [SECONDS]`` (default 2 per figure).
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from _common import emit  # noqa: E402
from orchestra.hosted.admission import AdmissionLimits, AdmissionService  # noqa: E402
from orchestra.hosted.control_open import HostedControl, open_control  # noqa: E402
from orchestra.hosted.control_pg import PostgresControlStore  # noqa: E402
from orchestra.hosted.tokens import TokenService  # noqa: E402


def rate(fn: Callable[[], None], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count / (time.perf_counter() - start)


def parallel_rate(fns: list[Callable[[], None]], seconds: float) -> float:
    counts = [0] * len(fns)
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        while time.perf_counter() < stop:
            fns[i]()
            counts[i] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def measure(control: HostedControl, seconds: float) -> dict[str, int]:
    tokens = TokenService(control.store, control.token_key)
    token = tokens.create("acme", "web", "write", "1d").token
    admission = AdmissionService(control.store, AdmissionLimits(rate=1_000_000, concurrency=10_000))

    def admit(key: str) -> Callable[[], None]:
        def once() -> None:
            admission.check_rate(key)
            admission.release(admission.acquire(key))
        return once

    def verify() -> None:
        tokens.verify(token)

    return {"verify_per_s": round(rate(verify, seconds)),
            "admission_per_s": round(rate(admit("one"), seconds)),
            "admission_4_threads_per_s": round(parallel_rate([admit(f"p{i}") for i in range(4)], seconds))}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    figures: dict[str, object] = {}
    cluster = None
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        from tests.pg_cluster import start_cluster

        cluster = start_cluster()
        url = cluster.url
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = open_control(Path(tmp) / "sqlite", {})
            figures["sqlite"] = measure(local, seconds)
            local.close()
            env = {"ORCHESTRA_DATABASE_URL": url, "ORCHESTRA_DATABASE_SCHEMA_PREFIX": f"b{secrets.token_hex(4)}_",
                   "ORCHESTRA_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
            shared = open_control(Path(tmp) / "pg", env)
            try:
                figures["postgres"] = measure(shared, seconds)
            finally:
                if isinstance(shared.store, PostgresControlStore):
                    shared.store.drop_schema()
                shared.close()
    finally:
        if cluster is not None:
            cluster.stop()
    for name, values in figures.items():
        print(f"{name:>9}: " + ", ".join(f"{k} {v}" for k, v in values.items()))  # type: ignore[attr-defined]
    emit("control", figures)


if __name__ == "__main__":
    main()
