"""Delegation writes over streamable HTTP in hosted mode, on SQLite and on PostgreSQL: a spawn_request
(with an idempotency key) followed by session_update(completed), with 1 and N concurrent clients.

Per backend, one hosted server (``python -m orchestra_mcp.hosted``, API tokens, admission on) serves a
scope ``bench/web`` whose delegation and capacity limits are above the client count, so every spawn is
admitted (the figure is the cost of the writes, not of queueing). PostgreSQL is a throwaway cluster
started the way the tests start it (``tests/pg_cluster.py``: initdb, loopback, ``fsync=off``). Each client
is an SDK ``Client`` (legacy era, its own session) running pairs for a bounded time.

Figures per backend and level: p50/p95/p99 of the pair (spawn + update), pairs/s, errors (a tool error or
a failed call). Run: ``python bench/bench_http_spawn.py [--seconds 5] [--levels 1,8,32]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from tests.hosted.server import start_server  # noqa: E402
from tests.pg_cluster import start_cluster  # noqa: E402

from _common import emit, summary_ms  # noqa: E402
from orchestra.hosted.control import ControlStore  # noqa: E402
from orchestra.hosted.scopes import SCHEMA_PREFIX_ENV, scope_opener  # noqa: E402
from orchestra.hosted.tokens import TokenService  # noqa: E402
from orchestra.store.factory import DATABASE_URL_ENV  # noqa: E402

TASKS = ("BENCH-1", "BENCH-2", "BENCH-3", "BENCH-4")


def prepare_scope(data_dir: Path, slots: int) -> str:
    """Scope ``bench/web`` with room for ``slots`` sessions at once and a few tasks; a write token."""
    policy = {"maxQueued": 1000, "maxActive": slots, "maxActivePerProvider": slots, "maxActivePerRuntime": slots}
    config = data_dir / "scopes" / "bench" / "web" / ".agent-workflow" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({
        "capacity": {"platform": policy, "tenant": policy, "workspace": policy},
        "runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": slots,
                                                        "maxSpawnsPerTask": 10_000}}}}), encoding="utf-8")
    control = ControlStore(data_dir / "control.db")
    token = TokenService(control, TokenService.open_key(data_dir)).create("bench", "web", "write", "1d").token
    control.close()
    with scope_opener(data_dir)("bench", "web") as app:
        for task in TASKS:
            app.tasks.add({"id": task, "title": task, "owner_role": "developer", "acceptance_criteria": ["ok"]})
    return token


async def load(url: str, token: str, clients: int, seconds: float, tag: str) -> dict[str, Any]:
    """``clients`` sessions running spawn+complete pairs until ``seconds`` have passed."""
    samples: list[float] = []
    errors = 0
    ready = anyio.Event()
    waiting = [clients]
    started = [0.0]
    last_end = [0.0]

    async def pair(client: Client, key: str, task: str) -> bool:
        spawn = await client.call_tool("spawn_request", {"task_id": task, "runtime": "claude-cli",
                                                         "idempotency_key": key})
        content = spawn.structured_content or {}
        if spawn.is_error or content.get("status") != "requested":
            return False
        done = await client.call_tool("session_update", {"session_id": content["session_id"], "status": "completed",
                                                         "result": {"summary": "benchmark pair"}})
        return not done.is_error

    async def one(number: int) -> None:
        nonlocal errors
        task = TASKS[number % len(TASKS)]
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http, \
                Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            await pair(client, f"{tag}-c{number}-warmup", task)
            waiting[0] -= 1
            if waiting[0] == 0:
                started[0] = time.perf_counter()
                ready.set()
            await ready.wait()
            end = started[0] + seconds
            i = 0
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                try:
                    ok = await pair(client, f"{tag}-c{number}-p{i}", task)
                except Exception:  # a failed call counts as an error; the run goes on
                    ok = False
                t1 = time.perf_counter()
                i += 1
                samples.append(t1 - t0)
                last_end[0] = max(last_end[0], t1)
                errors += not ok

    async with anyio.create_task_group() as tg:
        for number in range(clients):
            tg.start_soon(one, number)
    elapsed = max(last_end[0] - started[0], 1e-9)
    return {**summary_ms(samples), "pairs_per_s": round(len(samples) / elapsed, 1), "errors": errors,
            "clients": clients}


def run_backend(name: str, root: Path, levels: list[int], seconds: float) -> dict[str, Any]:
    """One hosted server on ``name``'s store; the figures per level."""
    data_dir = root / name
    data_dir.mkdir()
    token = prepare_scope(data_dir, max(levels))
    server = start_server(data_dir, "--rate", "1000000", "--concurrency", str(max(levels) * 2))
    figures: dict[str, Any] = {}
    try:
        for clients in levels:
            result = anyio.run(load, server.url, token, clients, seconds, f"{name}-{clients}")
            figures[str(clients)] = result
            print(f"{name:<9} {clients:>2} clients  pair p50 {result['p50_ms']:7.2f} ms  "
                  f"p95 {result['p95_ms']:8.2f} ms  {result['pairs_per_s']:6.1f} pairs/s  "
                  f"errors {result['errors']}", flush=True)
    finally:
        log = server.stop()
    if "Traceback" in log:
        print(log[-4000:], file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per level and backend (default 5)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients per level (default 1,8,32)")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both (default)")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    backends = [b for b in args.backends.split(",") if b]
    if not 0 < args.seconds <= 60 or not all(0 < n <= 64 for n in levels):
        raise SystemExit("--seconds 0..60, --levels 1..64 each")
    if not backends or not set(backends) <= {"sqlite", "postgres"}:
        raise SystemExit("--backends: sqlite, postgres")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in backends:
            if name == "sqlite":
                os.environ.pop(DATABASE_URL_ENV, None)
                results[name] = run_backend(name, root, levels, args.seconds)
                continue
            cluster = start_cluster()
            os.environ[DATABASE_URL_ENV] = cluster.url
            os.environ[SCHEMA_PREFIX_ENV] = "bench_"
            try:
                results[name] = run_backend(name, root, levels, args.seconds)
            finally:
                os.environ.pop(DATABASE_URL_ENV, None)
                os.environ.pop(SCHEMA_PREFIX_ENV, None)
                cluster.stop()
    load_avg = os.getloadavg()
    print(f"load average {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}", flush=True)
    emit("http_spawn_pairs", {"seconds_per_level": args.seconds, "pair": "spawn_request+session_update(completed)",
                              "load_avg_1m": round(load_avg[0], 2), **results})


if __name__ == "__main__":
    main()
