"""Tool calls over streamable HTTP: p50/p99 latency and calls/s with 1, 8 and 32 concurrent clients.

Two servers run side by side in the same run, each a subprocess on a free loopback port:
- ``orchestra``: the real ``orchestra-mcp --transport http`` (all transport layers on), tool
  ``workspace_status`` on an initialized workspace;
- ``bare``: a bare SDK ``MCPServer`` with one tool (``echo``) on the SDK's own streamable-HTTP app and
  uvicorn: the floor the transport and the SDK set, without Orchestra.
Each client is an SDK ``Client`` (handshake era, its own session) calling in a loop for a bounded time.
Levels alternate between the servers so that machine noise hits both alike.

Run: ``python bench/bench_http.py [--seconds 5] [--levels 1,8,32] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

URL = re.compile(r"(http://127\.0\.0\.1:\d+/mcp)")
START_TIMEOUT_S = 120


def bare_server() -> None:
    """The baseline: one tool on the SDK's streamable HTTP (stateful, SSE responses), uvicorn."""
    import socket

    import uvicorn
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("bare")

    @server.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    app = server.streamable_http_app(host="127.0.0.1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"bare server at http://127.0.0.1:{sock.getsockname()[1]}/mcp", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")).run(sockets=[sock])


def start(argv: list[str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = URL.search(log.read_text(errors="replace"))
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start in time")


async def load(url: str, tool: str, arguments: dict[str, Any], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` sessions calling ``tool`` until ``seconds`` have passed; latencies and throughput."""
    samples: list[float] = []
    errors = 0
    ready = anyio.Event()
    waiting = [clients]

    async def one() -> None:
        nonlocal errors
        async with Client(streamable_http_client(url), mode="legacy") as client:
            await client.call_tool(tool, arguments)  # warm-up (and the session is open)
            waiting[0] -= 1
            if waiting[0] == 0:
                started[0] = time.perf_counter()
                ready.set()
            await ready.wait()
            end = started[0] + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                result = await client.call_tool(tool, arguments)
                t1 = time.perf_counter()
                samples.append(t1 - t0)
                last_end[0] = max(last_end[0], t1)
                errors += bool(result.is_error)

    started = [0.0]
    last_end = [0.0]
    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(one)
    elapsed = max(last_end[0] - started[0], 1e-9)
    return {**summary_ms(samples), "calls_per_s": round(len(samples) / elapsed, 1), "errors": errors,
            "clients": clients}


async def prepare(url: str) -> None:
    async with Client(streamable_http_client(url), mode="legacy") as client:
        added = await client.call_tool("task_add", {"id": "BENCH-1", "title": "benchmark"})
        assert not added.is_error, added.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per level and server (default 5)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients per level (default 1,8,32)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all levels (default 1)")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server()
        return
    levels = [int(n) for n in args.levels.split(",")]
    if not 0 < args.seconds <= 120 or not all(0 < n <= 64 for n in levels) or not 0 < args.repeat <= 5:
        raise SystemExit("--seconds 0..120, --levels 1..64 each, --repeat 1..5")
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        workspace = root / "ws"
        workspace.mkdir()
        (workspace / ".git").mkdir()
        orchestra, orchestra_url = start([str(bin_dir / "orchestra-mcp"), "--transport", "http", "--port", "0",
                                          "--workspace", str(workspace)], root / "orchestra.log")
        bare, bare_url = start([sys.executable, __file__, "--bare-server"], root / "bare.log")
        try:
            anyio.run(prepare, orchestra_url)
            rounds: dict[str, dict[int, list[dict[str, Any]]]] = {"orchestra": {}, "bare": {}}
            for _ in range(args.repeat):
                for clients in levels:
                    for name, url, tool, arguments in (("bare", bare_url, "echo", {"text": "x"}),
                                                       ("orchestra", orchestra_url, "workspace_status", {})):
                        figures = anyio.run(load, url, tool, arguments, clients, args.seconds)
                        rounds[name].setdefault(clients, []).append(figures)
                        print(f"{name:<9} {clients:>2} clients  p50 {figures['p50_ms']:7.2f} ms  "
                              f"p99 {figures['p99_ms']:8.2f} ms  {figures['calls_per_s']:7.1f} calls/s  "
                              f"errors {figures['errors']}", flush=True)
        finally:
            for proc in (orchestra, bare):
                proc.terminate()
                proc.wait(timeout=60)
    best = {name: {str(c): max(runs, key=lambda f: f["calls_per_s"]) for c, runs in by_level.items()}
            for name, by_level in rounds.items()}
    emit("http_tool_calls", {"seconds_per_level": args.seconds, "repeat": args.repeat,
                             "tool": {"orchestra": "workspace_status", "bare": "echo"}, **best})


if __name__ == "__main__":
    main()
