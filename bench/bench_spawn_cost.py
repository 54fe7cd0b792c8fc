"""spawn_request + session_update over stdio beside a bare MCPServer echo tool, in the same run.

Both servers are real subprocesses on stdio, measured one after the other from one client process.
The pair is spawn_request (admitted) then session_update (completed with a structured result), so
the slot is freed and every spawn is admitted. Prints p50/p99 of each and the ratio, then a JSON line.

Run: ``python bench/bench_spawn_cost.py [PAIRS] [BASELINE_REF]``. With a git ref (e.g. ``main``), that
ref's ``src`` is taken with ``git archive`` into a temp folder (nothing in the repository changes) and
its server is measured in the same run, alternating with this tree's, each beside the echo floor.

The run also measures the durability floor in the workspaces' temp folder: an fsync of a small new file
and a one-row ``BEGIN IMMEDIATE``/``COMMIT`` in WAL mode with ``synchronous=FULL`` (one WAL fsync). The
pair needs two such commits (spawn, update), so it is printed as "2 commits + X ms".
"""

from __future__ import annotations

import json
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

ECHO_SERVER = r'''
from mcp.server.mcpserver import MCPServer
server = MCPServer("echo")
@server.tool()
def echo(text: str) -> str:
    """Echo the text."""
    return text
server.run()
'''


def make_workspace(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".agent-workflow").mkdir()
    (root / ".agent-workflow" / "config.json").write_text(json.dumps({
        "runtimePolicy": {"delegation": {"guardrails": {"maxSpawnsPerTask": 10000}}}}))
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def main() -> int:\n    return 0\n" * 20)


async def measure(pairs: int, root: Path, src: Path | None = None) -> dict[str, dict[str, float]]:
    exe = Path(sys.executable).parent / "orchestra-mcp"
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    echo_params = StdioServerParameters(command=sys.executable, args=["-c", ECHO_SERVER], env=dict(os.environ))
    echo: list[float] = []
    async with Client(echo_params, mode="legacy") as client:
        for i in range(pairs + 5):
            started = time.perf_counter()
            await client.call_tool("echo", {"text": f"hello {i}"})
            if i >= 5:
                echo.append(time.perf_counter() - started)
    spawn_pair: list[float] = []
    spawn_only: list[float] = []
    params = StdioServerParameters(command=str(exe), args=["--workspace", str(root)], env=env)
    async with Client(params, mode="legacy") as client:
        await client.call_tool("task_add", {"id": "BENCH", "title": "bench", "owner_role": "developer",
                                            "ownership_paths": ["src/app.py"]})
        for i in range(pairs + 5):
            started = time.perf_counter()
            spawned = await client.call_tool("spawn_request", {"task_id": "BENCH", "runtime": "claude-cli"})
            middle = time.perf_counter()
            if spawned.is_error or spawned.structured_content is None:
                raise SystemExit(f"spawn_request failed: {spawned.content}")
            updated = await client.call_tool("session_update", {
                "session_id": spawned.structured_content["session_id"], "status": "completed",
                "result": {"summary": "bench"}})
            if updated.is_error:
                raise SystemExit(f"session_update failed: {updated.content}")
            if i >= 5:
                spawn_pair.append(time.perf_counter() - started)
                spawn_only.append(middle - started)
    return {"echo": summary_ms(echo), "spawn_request": summary_ms(spawn_only), "pair": summary_ms(spawn_pair)}


def fsync_floor(folder: Path, samples: int = 60) -> dict[str, dict[str, float]]:
    """p50/p95 of an fsync of a small new file and of a durable one-row WAL commit, in ``folder``."""
    folder.mkdir()
    synced: list[float] = []
    for i in range(samples):
        fd = os.open(folder / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, b"x" * 2048)
            started = time.perf_counter()
            os.fsync(fd)
            synced.append(time.perf_counter() - started)
        finally:
            os.close(fd)
    conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (body TEXT)")
    commits: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?)", ("y" * 2048,))
        conn.execute("COMMIT")
        commits.append(time.perf_counter() - started)
    conn.close()
    return {"file_fsync": summary_ms(synced), "wal_commit": summary_ms(commits)}


def baseline_src(ref: str, work: Path) -> Path:
    """``ref``'s source tree in ``work`` (``git archive``)."""
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(work)], input=archive.stdout, check=True)
    return work / "src"


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ref = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = baseline_src(ref, work) if ref else None
        floor = fsync_floor(work / "floor")
        runs: dict[str, list[dict[str, dict[str, float]]]] = {"this tree": []}
        if src is not None:
            runs[ref or ""] = []
        for round_ in range(2 if src is not None else 1):  # alternated, so both see the same machine load
            for label, results in runs.items():
                root = work / f"ws-{label.replace(' ', '-')}-{round_}"
                root.mkdir()
                make_workspace(root)
                results.append(anyio.run(measure, pairs, root, None if label == "this tree" else src))
    commit = floor["wal_commit"]["p50_ms"]
    print(f"[durability floor] file fsync p50 {floor['file_fsync']['p50_ms']:.2f} ms p95 "
          f"{floor['file_fsync']['p95_ms']:.2f} ms; WAL commit (synchronous=FULL) p50 {commit:.2f} ms p95 "
          f"{floor['wal_commit']['p95_ms']:.2f} ms")
    line: dict[str, float] = {"pairs": pairs, "file_fsync_p50_ms": floor["file_fsync"]["p50_ms"],
                              "wal_commit_p50_ms": commit, "wal_commit_p95_ms": floor["wal_commit"]["p95_ms"]}
    for label, figures_list in runs.items():
        for round_, figures in enumerate(figures_list):
            ratio = figures["pair"]["p50_ms"] / figures["echo"]["p50_ms"]
            print(f"[{label}, round {round_ + 1}]")
            for name, key in (("bare echo tool", "echo"), ("spawn_request", "spawn_request"),
                              ("spawn_request+session_update", "pair")):
                print(f"  {name:<30} p50 {figures[key]['p50_ms']:7.2f} ms  p99 {figures[key]['p99_ms']:7.2f} ms")
            print(f"  pair / echo (p50): {ratio:.1f}x; pair = 2 commits ({2 * commit:.2f} ms) + "
                  f"{figures['pair']['p50_ms'] - 2 * commit:.2f} ms; 5x echo = {5 * figures['echo']['p50_ms']:.2f} ms")
        first = figures_list[0]
        prefix = "" if label == "this tree" else "baseline_"
        line.update({f"{prefix}{k}_{m}": v[m] for k, v in first.items() for m in ("p50_ms", "p99_ms")})
        line[f"{prefix}pair_above_two_commits_p50_ms"] = round(first["pair"]["p50_ms"] - 2 * commit, 2)
        line[f"{prefix}pair_over_echo_p50"] = round(
            sorted(f["pair"]["p50_ms"] / f["echo"]["p50_ms"] for f in figures_list)[len(figures_list) // 2], 2)
    emit("spawn_cost", line)


if __name__ == "__main__":
    main()
