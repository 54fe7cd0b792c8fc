"""Read latency in a stdio server while another process holds the write lock, beside no lock.

Drives the real ``orchestra-mcp`` entry point through the SDK client: ``task_list`` and
``task_get`` calls with no lock held, then the same calls for 5 s while a second process
holds ``BEGIN IMMEDIATE`` on the state database, then one write attempt during the lock
(how long until ``store_busy`` under the default 10 s bound). Run: ``python bench/bench_store_lock.py [SECONDS]``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


async def read_for(client: Client, seconds: float) -> list[float]:
    samples: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        started = time.perf_counter()
        if i % 2:
            result = await client.call_tool("task_get", {"task_id": "B1"})
        else:
            result = await client.call_tool("task_list", {"limit": 50})
        samples.append(time.perf_counter() - started)
        assert not result.is_error, result
        i += 1
    return samples


async def measure(workspace: Path, seconds: float, busy_s: float) -> dict[str, object]:
    env = {**os.environ, "ORCHESTRA_STORE_BUSY_TIMEOUT_S": str(busy_s)}
    params = StdioServerParameters(command=str(Path(sys.executable).parent / "orchestra-mcp"),
                                   args=["--workspace", str(workspace)], env=env)
    async with Client(params, mode="legacy") as client:
        for i in range(20):
            await client.call_tool("task_add", {"id": f"B{i + 1}", "title": f"bench {i}"})
        unlocked = await read_for(client, seconds)
        db = workspace / ".agent-workflow" / "state.db"
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds + busy_s + 2)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        locked = await read_for(client, seconds)
        started = time.perf_counter()
        write = await client.call_tool("task_add", {"id": "B-locked", "title": "during the lock"})
        write_s = time.perf_counter() - started
        assert write.is_error and "store_busy" in write.content[0].text  # type: ignore[union-attr]
        assert holder.poll() is None, "the holder let go before the measurement ended"
        holder.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 20
    return {"no_lock": summary_ms(unlocked), "write_locked": summary_ms(locked),
            "write_busy_after_s": round(write_s, 2), "busy_timeout_s": busy_s}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    busy_s = 10.0
    with tempfile.TemporaryDirectory() as folder:
        figures = anyio.run(measure, Path(folder), seconds, busy_s)
    for name in ("no_lock", "write_locked"):
        fig = figures[name]
        assert isinstance(fig, dict)
        print(f"reads, {name:<13} p50 {fig['p50_ms']:7.2f} ms   p99 {fig['p99_ms']:7.2f} ms   ({fig['n']} calls)")
    print(f"write during the lock: store_busy after {figures['write_busy_after_s']} s "
          f"(bound {figures['busy_timeout_s']} s)")
    emit("store_lock_stdio", {**figures, "lock_held_s": seconds})


if __name__ == "__main__":
    main()
