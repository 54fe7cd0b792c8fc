"""Provider-call overhead and usage_report at scale.

1. ``ProviderService.complete`` against a loopback server speaking Ollama's OpenAI-compatible
   API with zero latency: the time spent outside the adapter's HTTP call (egress check, budget
   preflight, ledger record with audit event, reply guard), p50/p99 over N calls.
2. ``usage_report`` (totals + seven breakdowns, SQL aggregation) over 100,000 ledger records,
   all tasks and one task (10 % of the records).

Run: ``python bench/bench_providers.py [CALLS] [RECORDS]``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms
from orchestra.app import Orchestra
from orchestra.providers.base import ModelProvider
from orchestra.providers.model import ProviderReply, ProviderRequest
from orchestra.providers.registry import build_provider
from orchestra.providers.service import ProviderService
from orchestra.workspace.config import ProviderDefaults

REPLY = json.dumps({"id": "chatcmpl-1", "model": "llama3.1:8b",
                    "choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(REPLY)))
        self.end_headers()
        self.wfile.write(REPLY)


class Timed:
    """Wraps an adapter and accumulates the time spent inside its HTTP call."""

    def __init__(self, inner: ModelProvider, sink: list[float]) -> None:
        self._inner = inner
        self._sink = sink
        self.id = inner.id
        self.base_url = inner.base_url
        self.billed = inner.billed

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        started = time.perf_counter()
        try:
            return await self._inner.complete(request)
        finally:
            self._sink.append(time.perf_counter() - started)


async def measure_calls(app: Orchestra, calls: int, provider_times: list[float]) -> list[float]:
    totals: list[float] = []
    messages = [{"role": "system", "content": "You review code."},
                {"role": "user", "content": "Summarise the change in one line. " * 20}]
    scope = {"task_id": "BENCH", "role": "developer", "phase": "build"}
    for i in range(calls + 20):
        started = time.perf_counter()
        await app.providers.complete(messages, scope=scope)
        if i >= 20:
            totals.append(time.perf_counter() - started)
    return totals


def seed_ledger(app: Orchestra, records: int) -> None:
    roles, providers = ["developer", "reviewer", "tester", "architect"], ["ollama", "anthropic", "openai"]
    phases, tenants = ["plan", "build", "review", None], ["acme", None, "globex"]
    cols = ("id, recorded_at, task_id, role, provider, model, prompt_id, response_id, finish_reason, tenant_id, "
            "phase, input_tokens, output_tokens, cost_nanousd, usage_source, cost_source, failed_providers")
    sql = f"INSERT INTO ledger ({cols}) VALUES ({', '.join('?' * 17)})"
    with app.store.write() as tx:
        for n in range(1, 11):
            tx.execute("INSERT INTO tasks (id, title, goal, acceptance_criteria, ownership_paths, owner_role,"
                       " status, created_at, updated_at) VALUES (?, 't', '', '[]', '[]', NULL, 'planned', '', '')",
                       (f"T-{n}",))
        for i in range(records):
            tx.execute(sql, (f"prov-{secrets.token_hex(8)}", "2026-01-01T00:00:00.000Z", f"T-{i % 10 + 1}",
                             roles[i % 4], providers[i % 3], "m", "p", "r", "stop", tenants[i % 3], phases[i % 4],
                             100 + i % 7, 20 + i % 5, 100_000, "provider", "estimated", "[]"))


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    provider_times: list[float] = []
    env = {**os.environ, "OLLAMA_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"}

    def factory(pid: str, settings: ProviderDefaults, env_: Mapping[str, str]) -> ModelProvider:
        return Timed(build_provider(pid, settings, env_), provider_times)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "calls"
        (root / ".agent-workflow").mkdir(parents=True)
        (root / ".agent-workflow" / "config.json").write_text(json.dumps(
            {"providers": {"defaults": {"provider": "ollama", "model": "llama3.1:8b"}},
             "budgets": {"defaults": {"maxTotalTokens": 10**12}, "byRole": {"developer": {"maxRequests": 10**9}}}}))
        with Orchestra.open(root) as app:
            app.tasks.add({"id": "BENCH", "title": "bench", "owner_role": "developer"})
            app.providers = ProviderService(app.config.providers, app.guard, app.ledger, app.budgets, app.events,
                                            env=env, factory=factory)
            totals = anyio.run(measure_calls, app, calls, provider_times)
        http = provider_times[20:]
        overhead = [t - h for t, h in zip(totals, http, strict=True)]
        server.shutdown()

        root = Path(folder) / "report"
        root.mkdir()
        with Orchestra.open(root) as app:
            started = time.perf_counter()
            seed_ledger(app, records)
            seeded_s = time.perf_counter() - started
            all_runs, task_runs = [], []
            for _ in range(7):
                started = time.perf_counter()
                report = app.ledger.report()
                all_runs.append(time.perf_counter() - started)
                started = time.perf_counter()
                app.ledger.report("T-3")
                task_runs.append(time.perf_counter() - started)
            assert report.totals.requests == records
            assert report.totals.estimated_cost_usd == Decimal(records * 100_000).scaleb(-9), "exact sum"

    figures = {
        "provider_call_overhead": summary_ms(overhead),
        "provider_http_loopback": summary_ms(http),
        "provider_call_total": summary_ms(totals),
        "usage_report_all": {**summary_ms(all_runs), "records": records},
        "usage_report_one_task": {**summary_ms(task_runs), "records": records // 10},
        "seed_seconds": round(seeded_s, 2),
    }
    o, h = figures["provider_call_overhead"], figures["provider_http_loopback"]
    print(f"provider call overhead  p50 {o['p50_ms']:7.2f} ms  p99 {o['p99_ms']:7.2f} ms  ({calls} calls; excludes "
          f"the HTTP call: p50 {h['p50_ms']:.2f} ms)")
    r, t = figures["usage_report_all"], figures["usage_report_one_task"]
    print(f"usage_report, {records} records   p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")
    print(f"usage_report, one task ({records // 10})  p50 {t['p50_ms']:7.2f} ms  p99 {t['p99_ms']:7.2f} ms")
    emit("providers", figures)


if __name__ == "__main__":
    main()
