"""The hosted layer's cost: token checks and admission per request, and a tool call over HTTP through
the hosted app beside the same Orchestra server served bare by the SDK, in the same run.

Figures:
* ``verify_per_s``: API-token verifications (checksum, HMAC, one indexed read) per second.
* ``admission_per_s``: a full admission (GCRA UPSERT + lease insert + lease delete, three
  ``BEGIN IMMEDIATE`` transactions) per second, beside ``baseline_upsert_per_s``: one bare UPSERT under
  ``BEGIN IMMEDIATE`` on a database with the same settings.
* ``hosted`` / ``bare``: ``task_list`` latency over streamable HTTP (legacy era, one client) through
  the hosted app (auth + admission + dispatch) and through ``server.streamable_http_app()`` with no auth.

Run: ``python bench/bench_hosted.py [CALLS]`` (default 200).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from tests.hosted.server import free_port, start_server  # noqa: E402

from _common import emit, summary_ms  # noqa: E402
from orchestra.hosted.admission import AdmissionLimits, AdmissionService  # noqa: E402
from orchestra.hosted.control import ControlStore  # noqa: E402
from orchestra.hosted.tokens import TokenService  # noqa: E402

BARE = """
import sys, uvicorn
from pathlib import Path
from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
import contextlib
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.responses import JSONResponse
server = create_server(Orchestra.open(Path(sys.argv[1])), ("core",))
inner = server.streamable_http_app()
@contextlib.asynccontextmanager
async def lifespan(app):
    async with server.session_manager.run():
        yield
app = Starlette(routes=[Route("/healthz", lambda r: JSONResponse({"ok": True})), Mount("/", app=inner)],
                lifespan=lifespan)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def rate(fn: object, seconds: float = 2.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()  # type: ignore[operator]
        count += 1
    return count / (time.perf_counter() - start)


async def calls(url: str, token: str | None, n: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    samples = []
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http, \
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client:  # type: ignore[arg-type]
        await client.call_tool("task_list", {})
        for _ in range(n):
            start = time.perf_counter()
            result = await client.call_tool("task_list", {})
            samples.append(time.perf_counter() - start)
            assert result.is_error is False
    return samples


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("bare server exited")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("bare server did not start")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        control = ControlStore(data / "control.db")
        tokens = TokenService(control, TokenService.open_key(data))
        token = tokens.create("acme", "web", "write", "1d").token
        admission = AdmissionService(control, AdmissionLimits(rate=1_000_000, concurrency=10_000))

        def admit() -> None:
            admission.check_rate("bench")
            admission.release(admission.acquire("bench"))

        base = sqlite3.connect(Path(tmp) / "base.db", isolation_level=None, timeout=10)
        base.execute("PRAGMA journal_mode = WAL")
        base.execute("PRAGMA synchronous = NORMAL")
        base.execute("CREATE TABLE rl (key TEXT PRIMARY KEY, tat REAL NOT NULL)")

        def upsert() -> None:
            base.execute("BEGIN IMMEDIATE")
            base.execute("INSERT INTO rl VALUES ('k', 1) ON CONFLICT (key) DO UPDATE SET tat = tat + 1")
            base.execute("COMMIT")

        figures: dict[str, object] = {
            "verify_per_s": round(rate(lambda: tokens.verify(token))),
            "admission_per_s": round(rate(admit)),
            "baseline_upsert_per_s": round(rate(upsert)),
        }
        control.close()
        hosted = start_server(data, "--rate", "1000000", "--concurrency", "100", "--tools", "core")
        bare_root = Path(tmp) / "bare"
        bare_root.mkdir()
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_root), str(port)], stderr=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}", bare)
            for _round in range(2):  # alternate, so drift on a shared machine hits both
                figures[f"bare_{_round}"] = summary_ms(anyio.run(calls, f"http://127.0.0.1:{port}/mcp", None, n))
                figures[f"hosted_{_round}"] = summary_ms(anyio.run(calls, hosted.url, token, n))
        finally:
            hosted.stop()
            bare.terminate()
            bare.wait(timeout=15)
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    emit("hosted", figures)


if __name__ == "__main__":
    main()
