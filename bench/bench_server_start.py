"""Server start: spawn ``orchestra-mcp`` → ``initialize`` result, median of 10 runs.

Beside it, the same for a bare MCPServer with one tool: the floor the SDK sets.
Run: ``python bench/bench_server_start.py``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

RUNS = 10
BARE_SERVER = '''
from mcp.server.mcpserver import MCPServer
server = MCPServer("bare")

@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"

server.run()
'''
INITIALIZE = json.dumps({
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}) + "\n"


def time_to_initialize(command: list[str]) -> float:
    """Seconds from spawn to the initialize response line."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(INITIALIZE)
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.wait(timeout=30)
    if '"serverInfo"' not in line:
        raise RuntimeError(f"unexpected initialize answer: {line[:200]}")
    return elapsed


def main() -> None:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "ws"
        workspace.mkdir()
        bare = Path(folder) / "bare_server.py"
        bare.write_text(BARE_SERVER)
        ours_cmd = [str(bin_dir / "orchestra-mcp"), "--workspace", str(workspace)]
        time_to_initialize(ours_cmd)  # warm the page cache and create the database once
        time_to_initialize([sys.executable, str(bare)])
        ours = [time_to_initialize(ours_cmd) for _ in range(RUNS)]
        floor = [time_to_initialize([sys.executable, str(bare)]) for _ in range(RUNS)]
    print(f"orchestra-mcp spawn -> initialize: median {statistics.median(ours) * 1000:.1f} ms over {RUNS} runs")
    print(f"bare MCPServer     spawn -> initialize: median {statistics.median(floor) * 1000:.1f} ms (SDK floor)")
    emit("server_start", {"orchestra_mcp": summary_ms(ours), "bare_mcpserver": summary_ms(floor)})


if __name__ == "__main__":
    main()
