"""The MCP surface a model pays for: ``tools/list`` bytes and tool count per group selection, the
model-visible part (name, title, description, input schema), the result size of every tool on a typical
call, and server start (spawn -> initialize) beside a bare one-tool MCPServer, all in one run.

Run: ``python bench/bench_surface.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from tests.surface_calls import FAKE_PROVIDER_CONFIG, person_approves, typical_calls  # noqa: E402

from _common import emit  # noqa: E402
from bench_server_start import BARE_SERVER, time_to_initialize  # noqa: E402
from orchestra.app import Orchestra  # noqa: E402
from orchestra_mcp.server import create_server  # noqa: E402

SELECTIONS = (("core",), ("core", "security"), ("core", "chat"), ("core", "ledger"), ("all",))
START_RUNS = 10


def _bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


async def _listing(app: Orchestra) -> dict[str, dict[str, int]]:
    out = {}
    for groups in SELECTIONS:
        async with Client(create_server(app, groups), mode="legacy") as client:
            tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True)
                     for t in (await client.list_tools()).tools]
        out[",".join(groups)] = {
            "tools": len(tools), "wire_bytes": _bytes({"tools": tools}),
            "visible_bytes": sum(_bytes({k: t[k] for k in ("name", "title", "description", "inputSchema") if k in t})
                                 for t in tools),
            "output_schema_bytes": sum(_bytes(t.get("outputSchema", {})) for t in tools),
            "largest_input_schema_bytes": max(_bytes(t["inputSchema"]) for t in tools),
        }
    return out


async def _results(app: Orchestra) -> dict[str, int]:
    async with Client(create_server(app), mode="legacy", elicitation_callback=person_approves) as client:
        results = await typical_calls(client.call_tool)
    return {name: _bytes(result.structured_content) for name, result in results.items()}


def _start(folder: Path) -> dict[str, float]:
    workspace = folder / "start-ws"
    workspace.mkdir()
    bare = folder / "bare_server.py"
    bare.write_text(BARE_SERVER)
    ours = [str(Path(sys.executable).parent / "orchestra-mcp"), "--workspace", str(workspace)]
    floor = [sys.executable, str(bare)]
    time_to_initialize(ours)  # create the database and warm the caches once
    time_to_initialize(floor)
    ours_s = [time_to_initialize(ours) for _ in range(START_RUNS)]
    floor_s = [time_to_initialize(floor) for _ in range(START_RUNS)]
    return {"orchestra_ms": round(statistics.median(ours_s) * 1000, 1),
            "bare_mcpserver_ms": round(statistics.median(floor_s) * 1000, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        (root / ".agent-workflow").mkdir(parents=True)
        (root / ".git").mkdir()
        (root / ".agent-workflow" / "config.json").write_text(json.dumps(FAKE_PROVIDER_CONFIG))
        with Orchestra.open(root) as app:
            listing = anyio.run(_listing, app)
            results = anyio.run(_results, app)
        start = _start(Path(folder))
    print("tools/list per group selection (bytes, compact JSON):")
    for name, row in listing.items():
        print(f"  {name:14} {row['tools']:3} tools  wire {row['wire_bytes']:7,}  model-visible "
              f"{row['visible_bytes']:7,}  output schemas {row['output_schema_bytes']:7,}  largest input schema "
              f"{row['largest_input_schema_bytes']:6,}")
    print("result size of a typical call (structuredContent bytes):")
    for name, size in sorted(results.items(), key=lambda kv: -kv[1]):
        print(f"  {name:22} {size:7,}")
    print(f"server start -> initialize (median of {START_RUNS}): orchestra-mcp {start['orchestra_ms']} ms, "
          f"bare MCPServer {start['bare_mcpserver_ms']} ms, difference "
          f"{start['orchestra_ms'] - start['bare_mcpserver_ms']:.1f} ms")
    emit("surface", {"listing": listing, "results": results, "start": start})


if __name__ == "__main__":
    main()
