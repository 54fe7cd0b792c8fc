"""Tool latency over stdio: ``workspace_status`` and ``task_add``, p50/p99 of 500 calls each.

Drives the real ``orchestra-mcp`` entry point through the SDK client (handshake era,
what hosts speak today). Run: ``python bench/bench_tool_latency.py [CALLS]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms


async def measure(workspace: Path, calls: int) -> dict[str, list[float]]:
    params = StdioServerParameters(command=str(Path(sys.executable).parent / "orchestra-mcp"),
                                   args=["--workspace", str(workspace)])
    samples: dict[str, list[float]] = {"workspace_status": [], "task_add": []}
    async with Client(params, mode="legacy") as client:
        for _ in range(20):  # warm-up
            await client.call_tool("workspace_status", {})
        for i in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("workspace_status", {})
            samples["workspace_status"].append(time.perf_counter() - started)
            assert not result.is_error
            started = time.perf_counter()
            result = await client.call_tool("task_add", {"id": f"BENCH-{i}", "title": f"benchmark task {i}",
                                                         "acceptance_criteria": ["done"], "ownership_paths": ["src"]})
            samples["task_add"].append(time.perf_counter() - started)
            assert not result.is_error
    return samples


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        samples = anyio.run(measure, workspace, calls)
    figures = {name: summary_ms(values) for name, values in samples.items()}
    for name, fig in figures.items():
        print(f"{name:<17} p50 {fig['p50_ms']:7.2f} ms   p99 {fig['p99_ms']:7.2f} ms   ({fig['n']} calls over stdio)")
    emit("tool_latency_stdio", figures)


if __name__ == "__main__":
    main()
