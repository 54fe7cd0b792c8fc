"""spawn_request over stdio (p50/p99, each request carrying a 40-file context bundle) and admissions per
second with 4 client processes on one workspace.

Run: ``python bench/bench_delegation.py [REQUESTS]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

FILES = 40
CLIENT_SCRIPT = r'''
import sys, time, anyio, json
from mcp import Client, StdioServerParameters
async def main(exe, root, worker, n):
    params = StdioServerParameters(command=exe, args=["--workspace", root])
    async with Client(params, mode="legacy") as c:
        done = 0
        started = time.perf_counter()
        for i in range(n):
            r = await c.call_tool("spawn_request", {"task_id": "BENCH", "runtime": "claude-cli",
                                                    "idempotency_key": f"bench-{worker}-{i:05d}"})
            if r.is_error:
                raise SystemExit(f"spawn_request failed: {r.content[0].text}")
            sid = r.structured_content["session_id"]
            if r.structured_content["status"] == "requested":
                await c.call_tool("session_update", {"session_id": sid, "status": "completed",
                                                     "result": {"summary": "bench"}})
            done += 1
        print(json.dumps({"worker": worker, "n": done, "seconds": time.perf_counter() - started}))
anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
'''


def make_workspace(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".agent-workflow").mkdir()
    # a high limit so the bench measures admission, not queueing
    quota = {"maxActive": 256, "maxQueued": 10000, "maxActivePerProvider": 256, "maxActivePerRuntime": 256}
    (root / ".agent-workflow" / "config.json").write_text(json.dumps({
        "runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": 256, "maxSpawnsPerTask": 10000}}},
        "capacity": {"platform": quota, "tenant": quota, "workspace": quota},
    }))
    src = root / "src"
    src.mkdir()
    body = 'def handler_{j}(request: dict[str, int]) -> int:\n    """Handle {j}."""\n    return len(request)\n\n'
    for i in range(FILES):
        (src / f"module_{i:02}.py").write_text("".join(body.format(j=j) for j in range(60)))


async def latency(exe: str, root: Path, count: int) -> list[float]:
    params = StdioServerParameters(command=exe, args=["--workspace", str(root)])
    samples: list[float] = []
    async with Client(params, mode="legacy") as client:
        paths = [f"src/module_{i:02}.py" for i in range(FILES)]
        await client.call_tool("task_add", {"id": "BENCH", "title": "Benchmark task", "owner_role": "developer",
                                            "acceptance_criteria": ["fast"], "ownership_paths": paths})
        for i in range(count + 5):
            started = time.perf_counter()
            result = await client.call_tool("spawn_request", {"task_id": "BENCH", "runtime": "claude-cli"})
            elapsed = time.perf_counter() - started
            assert not result.is_error, result.content
            assert result.structured_content is not None
            await client.call_tool("session_update", {"session_id": result.structured_content["session_id"],
                                                      "status": "canceled"})
            if i >= 5:  # warm-up
                samples.append(elapsed)
    return samples


def throughput(exe: str, root: Path, per_client: int) -> tuple[int, float]:
    script = root.parent / "client.py"
    script.write_text(CLIENT_SCRIPT)
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(script), exe, str(root), str(w), str(per_client)],
                              stdout=subprocess.PIPE, text=True) for w in range(4)]
    total = sum(json.loads(p.communicate(timeout=900)[0])["n"] for p in procs)
    return total, time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    exe = str(Path(sys.executable).parent / "orchestra-mcp")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        root.mkdir()
        make_workspace(root)
        samples = anyio.run(latency, exe, root, count)
        total, seconds = throughput(exe, root, count // 2)
    fig = summary_ms(samples)
    rate = total / seconds
    print(f"spawn_request over stdio ({FILES}-file bundle): p50 {fig['p50_ms']:.1f} ms  p99 {fig['p99_ms']:.1f} ms "
          f"({fig['n']} calls)")
    print(f"admissions with 4 client processes: {total} in {seconds:.1f} s = {rate:.1f}/s "
          "(each admitted request also completed; includes server start)")
    emit("delegation", {"spawn_request_stdio": fig, "admissions_4_clients": {"requests": total,
                                                                              "seconds": round(seconds, 2),
                                                                              "per_second": round(rate, 1)}})


if __name__ == "__main__":
    main()
