"""Faults in hosted mode: two server processes over one store (one SQLite file per scope, or one PostgreSQL
schema), one of them SIGKILLed in the middle of writing calls, or stopped with SIGTERM.

What a client was told is the contract: every write it got a success for is in the store, intact; nothing
is half-written (chat sequences contiguous, the audit chain verifies, the store's integrity check is clean);
a call whose answer was lost, retried through the surviving server with the same idempotency key, has
exactly one effect; the slots the dead server's sessions held come back by expiry on the store's clock (the
database server's, on PostgreSQL), never by the dead process; a SIGTERMed server answers its calls in flight.
"""

from __future__ import annotations

import functools
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from orchestra.hosted.control import ControlStore
from orchestra.hosted.scopes import scope_opener
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import HostedServer, mcp_client, start_server
from tests.http.support import HEADERS, sse_messages, tool_call

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

CALL_TIMEOUT_S = 30
"""A call to a dead server fails fast (connection refused or reset); this bounds any that would hang."""


def _scope(data_dir: Path, slots: int, guardrails: dict[str, Any]) -> str:
    """Scope ``acme/web`` with ``slots`` delegated sessions at once (guardrail and capacity quotas alike),
    these further delegation guardrails and two tasks; a write token for it."""
    queue = {"maxQueued": 100, "maxActive": slots, "maxActivePerProvider": slots, "maxActivePerRuntime": slots}
    guardrails = {"maxConcurrentDelegates": slots, **guardrails}
    config = data_dir / "scopes" / "acme" / "web" / ".agent-workflow" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"capacity": {"platform": queue, "tenant": queue, "workspace": queue},
                                  "runtimePolicy": {"delegation": {"guardrails": guardrails}}}), encoding="utf-8")
    control = ControlStore(data_dir / "control.db")
    token = TokenService(control, TokenService.open_key(data_dir)).create("acme", "web", "write", "1d").token
    control.close()
    with scope_opener(data_dir)("acme", "web") as app:
        for task in ("T-1", "T-2"):
            app.tasks.add({"id": task, "title": task, "owner_role": "developer", "acceptance_criteria": ["ok"]})
    return token


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call that must succeed; its structured result."""
    with anyio.fail_after(CALL_TIMEOUT_S):
        result = await client.call_tool(tool, arguments)
    assert result.is_error is False, (tool, result.content)
    return dict(result.structured_content or {})


@dataclass
class Ledger:
    """What the clients were told (acknowledged) and what they sent without hearing back (unknown)."""

    threads: dict[int, str] = field(default_factory=dict)
    spawned: dict[str, str] = field(default_factory=dict)  # idempotency key -> session id
    completed: dict[str, str] = field(default_factory=dict)  # session id -> result summary
    appended: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (thread id, sequence)
    unknown: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (tool, arguments)
    replayed: dict[str, bool] = field(default_factory=dict)  # key -> the first retry replayed an earlier effect
    in_flight: int = 0
    acked_on_doomed: int = 0


def text_of(key: str) -> str:
    """The chat text sent with idempotency key ``key`` (one text per key)."""
    return f"progress note for {key}"


async def _writer(number: int, server: HostedServer, token: str, ledger: Ledger, rounds: int, doomed: bool) -> None:
    """One client: a thread, then rounds of spawn_request -> session_update(completed) -> chat append, each
    with its own idempotency key. On the doomed server the first failing call ends the client, recorded as
    unknown (it may or may not have taken effect)."""
    pending: tuple[str, dict[str, Any]] | None = None

    async def step(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        nonlocal pending
        pending = (tool, arguments)
        ledger.in_flight += 1
        try:
            answer = await _call(client, tool, arguments)
        finally:
            ledger.in_flight -= 1
        pending = None
        ledger.acked_on_doomed += doomed
        return answer

    try:
        async with mcp_client(server.url, token) as client:
            thread = await step("chat_thread_create", {"title": f"client {number}", "task_id": "T-1"})
            ledger.threads[number] = thread_id = str(thread["id"])
            for i in range(rounds):
                key = f"client-{number}-round-{i}"
                spawn = await step("spawn_request", {"task_id": f"T-{1 + i % 2}", "runtime": "claude-cli",
                                                     "idempotency_key": key})
                assert spawn["status"] == "requested", spawn.get("capacity")
                ledger.spawned[key] = sid = str(spawn["session_id"])
                summary = f"client {number} round {i} done"
                await step("session_update", {"session_id": sid, "status": "completed",
                                              "result": {"summary": summary}})
                ledger.completed[sid] = summary
                message = await step("chat_message_append", {"thread_id": thread_id, "text": text_of(key),
                                                              "idempotency_key": key})
                ledger.appended[key] = (thread_id, int(message["message"]["sequence"]))
    except Exception as exc:
        if not doomed or any(isinstance(leaf, AssertionError) for leaf in _leaves(exc)):
            raise
        assert pending is not None, "a client of the killed server failed outside a call"
        ledger.unknown.append(pending)


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


async def _retry(client: Client, ledger: Ledger, tool: str, arguments: dict[str, Any]) -> None:
    """Send a call whose answer was lost again (same idempotency key), through the surviving server."""
    answer = await _call(client, tool, arguments)
    key = arguments.get("idempotency_key") or arguments["session_id"]
    ledger.replayed.setdefault(key, bool(answer.get("replayed") or answer.get("idempotent_replay")))
    if tool == "spawn_request":
        ledger.spawned[arguments["idempotency_key"]] = str(answer["session_id"])
    elif tool == "chat_message_append":
        ledger.appended[arguments["idempotency_key"]] = (arguments["thread_id"],
                                                         int(answer["message"]["sequence"]))
    elif tool == "session_update":
        ledger.completed[arguments["session_id"]] = arguments["result"]["summary"]


async def _until(predicate: Callable[[], bool], timeout: float = 60) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.02)


def _check_store(data_dir: Path, ledger: Ledger) -> None:
    """Every acknowledged write present and intact; exactly one effect per idempotency key; chat sequences
    contiguous; the audit chain and the store's integrity check clean."""
    with scope_opener(data_dir)("acme", "web") as app:
        assert app.store.check_integrity() == []
        assert app.events.verify().ok
        with app.store.read() as tx:
            keys = tx.fetchall("SELECT idempotency_key, count(*) AS n FROM delegation_sessions GROUP BY "
                               "idempotency_key")
        assert all(int(row["n"]) == 1 for row in keys), keys
        assert len(keys) == len(ledger.spawned)  # no session but the ones asked for (retries included)
        for key, sid in ledger.spawned.items():
            session = app.delegation.get(sid)
            assert session.session.task_id == f"T-{1 + int(key.rsplit('-', 1)[1]) % 2}"
        for sid, summary in ledger.completed.items():
            detail = app.delegation.get(sid)
            assert detail.session.status == "completed" and detail.session.result is not None
            assert detail.session.result["summary"] == summary
        for thread_id in ledger.threads.values():
            texts: list[str] = []
            cursor: str | None = None
            while True:
                page = app.chat_calls.messages(thread_id, limit=100, cursor=cursor)
                texts += [m.content.text for m in page.messages]
                assert [m.sequence for m in page.messages] == list(range(len(texts) - len(page.messages) + 1,
                                                                         len(texts) + 1))
                if not (cursor := page.next_cursor):
                    break
            sent = {key: (seq, text_of(key)) for key, (thread, seq) in ledger.appended.items() if thread == thread_id}
            assert len(texts) == len(sent) and len(set(texts)) == len(texts)  # one message per key
            for seq, text in sent.values():
                assert texts[seq - 1] == text


def _committed(data_dir: Path, tool: str, arguments: dict[str, Any]) -> bool:
    """Whether the store already holds the effect of this call."""
    with scope_opener(data_dir)("acme", "web") as app, app.store.read() as tx:
        if tool == "spawn_request":
            row = tx.fetchone("SELECT 1 AS x FROM delegation_sessions WHERE idempotency_key = ?",
                              (arguments["idempotency_key"],))
        else:
            row = tx.fetchone("SELECT 1 AS x FROM chat_messages WHERE thread_id = ? AND text = ?",
                              (arguments["thread_id"], arguments["text"]))
    return row is not None


async def _lost_answers(server: HostedServer, token: str, data_dir: Path, ledger: Ledger, thread_id: str) -> None:
    """Writes that take effect but whose answer the client never reads: each request is sent raw, and its
    connection dropped once the store holds the effect (the "committed, then the answer was lost" case a
    kill at a random moment seldom hits)."""
    calls = [("spawn_request", {"task_id": "T-1", "runtime": "claude-cli", "idempotency_key": "lost-answer-0"}),
             ("chat_message_append", {"thread_id": thread_id, "text": text_of("lost-answer-1"),
                                      "idempotency_key": "lost-answer-1"})]
    for number, (tool, arguments) in enumerate(calls, start=1):
        async with httpx2.AsyncClient(timeout=60) as http:
            headers = await _raw_session(http, server.url, token)
            async with anyio.create_task_group() as tg:
                tg.start_soon(functools.partial(http.post, server.url, headers=headers,
                                                json=tool_call(number, tool, arguments)))
                with anyio.fail_after(CALL_TIMEOUT_S):
                    while not await anyio.to_thread.run_sync(_committed, data_dir, tool, arguments):
                        await anyio.sleep(0.005)
                tg.cancel_scope.cancel()  # the answer is never read
        ledger.unknown.append((tool, arguments))


async def test_acknowledged_writes_survive_a_server_killed_mid_call(tmp_path: Path, scope_backend: str) -> None:
    """Three clients on each of two servers write concurrently; one server is SIGKILLed while its clients
    have calls in flight. The store holds every acknowledged write, and the lost calls, retried through the
    other server with the same keys, take effect exactly once."""
    data_dir = tmp_path / "shared"
    token = _scope(data_dir, 16, {"maxSpawnsPerTask": 1000})
    doomed, survivor = (start_server(data_dir, "--rate", "100000", "--concurrency", "50") for _ in range(2))
    ledger = Ledger()
    try:
        async with anyio.create_task_group() as tg:
            for number in range(6):
                on_doomed = number % 2 == 0
                tg.start_soon(_writer, number, doomed if on_doomed else survivor, token, ledger,
                              200 if on_doomed else 8, on_doomed)
            # kill once the doomed server's clients have been answered a few times and some call is in flight
            await _until(lambda: ledger.acked_on_doomed >= 12 and {0, 2, 4} <= set(ledger.threads))
            await _lost_answers(doomed, token, data_dir, ledger, ledger.threads[0])
            await _until(lambda: ledger.in_flight > 0)
            doomed.process.send_signal(signal.SIGKILL)
        assert doomed.process.wait(timeout=10) == -signal.SIGKILL
        assert len(ledger.unknown) == 2 + 3  # the two dropped answers; each client of the dead server lost one
        async with mcp_client(survivor.url, token) as client:
            for tool, arguments in ledger.unknown:
                await _retry(client, ledger, tool, arguments)
            for tool, arguments in ledger.unknown:  # a second retry replays: still one effect
                await _retry(client, ledger, tool, arguments)
    finally:
        survivor_log = survivor.stop()
        doomed.stop()
    assert "Traceback" not in survivor_log, survivor_log
    assert len(ledger.completed) >= 3 * 8  # the survivor's clients all finished
    assert ledger.replayed["lost-answer-0"] and ledger.replayed["lost-answer-1"]  # committed before: replayed
    _check_store(data_dir, ledger)


def _held_deadline(data_dir: Path, session_ids: list[str]) -> Callable[[], bool]:
    """True once the store's clock (PostgreSQL: the database server's) is past these sessions' deadlines."""

    def passed() -> bool:
        with scope_opener(data_dir)("acme", "web") as app, app.store.read() as tx:
            marks = ", ".join("?" for _ in session_ids)
            rows = tx.fetchall(f"SELECT expires_at FROM delegation_sessions WHERE session_id IN ({marks})",
                               session_ids)
            now = tx.now()
        return len(rows) == len(session_ids) and all(now > datetime.fromisoformat(r["expires_at"]) for r in rows)

    return passed


async def test_a_killed_servers_slots_come_back_by_expiry_on_the_store_clock(tmp_path: Path,
                                                                           scope_backend: str) -> None:
    """Sessions requested through a server that is then killed keep their delegation slots (and capacity
    leases): the surviving server queues a new request. Once the spawn timeout has passed on the store's
    clock, the next call through the survivor expires them, promotes the queued request and admits more."""
    data_dir = tmp_path / "shared"
    token = _scope(data_dir, 2, {"timeoutMs": 10_000, "maxSpawnsPerTask": 100})
    doomed, survivor = (start_server(data_dir, "--rate", "100000", "--concurrency", "50") for _ in range(2))
    try:
        async with mcp_client(survivor.url, token) as client:  # open before the kill: no setup time after it
            async with mcp_client(doomed.url, token) as through_doomed:
                held = [str((await _call(through_doomed, "spawn_request", {
                    "task_id": "T-1", "runtime": "claude-cli", "idempotency_key": f"held-slot-{i}"}))["session_id"])
                    for i in range(2)]
            doomed.process.send_signal(signal.SIGKILL)
            assert doomed.process.wait(timeout=10) == -signal.SIGKILL
            waiting = await _call(client, "spawn_request", {"task_id": "T-2", "runtime": "claude-cli",
                                                            "idempotency_key": "after-kill"})
            assert not _held_deadline(data_dir, held)(), "the machine is too slow for the spawn timeout"
            assert waiting["status"] == "queued", waiting  # the dead server's sessions still hold both slots
            await _until(_held_deadline(data_dir, held), timeout=60)
            admitted = await _call(client, "spawn_request", {"task_id": "T-2", "runtime": "claude-cli",
                                                             "idempotency_key": "after-expiry"})
            assert admitted["status"] == "requested", admitted
            states = {sid: (await _call(client, "session_get", {"session_id": sid}))["session"]["status"]
                      for sid in [*held, str(waiting["session_id"])]}
            with scope_opener(data_dir)("acme", "web") as app, app.store.read() as tx:
                leases = tx.fetchall("SELECT holder, status, end_reason FROM capacity_leases ORDER BY seq")
    finally:
        survivor_log = survivor.stop()
        doomed.stop()
    assert "Traceback" not in survivor_log, survivor_log
    assert states == {held[0]: "timed_out", held[1]: "timed_out", str(waiting["session_id"]): "requested"}
    by_holder = {row["holder"]: row for row in leases}
    assert all(by_holder[sid]["status"] != "active" for sid in held)  # ended by the survivor, not the dead
    assert by_holder[str(waiting["session_id"])]["status"] == "active"
    assert by_holder[str(admitted["session_id"])]["status"] == "active"


async def _raw_session(http: httpx2.AsyncClient, url: str, token: str) -> dict[str, str]:
    """A raw legacy MCP session with a bearer token; the headers of requests inside it."""
    headers = {**HEADERS, "authorization": f"Bearer {token}"}
    init = await http.post(url, headers=headers, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
    assert init.status_code == 200, init.text
    headers |= {"mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    return headers


async def test_sigterm_lets_a_servers_calls_in_flight_finish_and_answer(tmp_path: Path, scope_backend: str) -> None:
    """A ``session_wait`` in flight on a server that gets SIGTERM is answered with the completion another
    server wrote meanwhile; a new call on the draining server is refused with 503, and it exits 0."""
    data_dir = tmp_path / "shared"
    token = _scope(data_dir, 3, {"maxSpawnsPerTask": 100})
    stopping, other = (start_server(data_dir, "--rate", "100000", "--concurrency", "50") for _ in range(2))
    answers: list[httpx2.Response] = []
    try:
        async with mcp_client(other.url, token) as writer, httpx2.AsyncClient(timeout=60) as http, \
                httpx2.AsyncClient(timeout=60) as probe:
            sid = str((await _call(writer, "spawn_request", {"task_id": "T-1", "runtime": "claude-cli",
                                                             "idempotency_key": "waited-on"}))["session_id"])
            headers = await _raw_session(http, stopping.url, token)
            await probe.get(f"{stopping.base}/healthz")  # a keep-alive connection open before the signal

            async def wait() -> None:
                answers.append(await http.post(stopping.url, headers=headers, json=tool_call(
                    1, "session_wait", {"session_ids": [sid], "timeout_s": 20})))

            async with anyio.create_task_group() as tg:
                tg.start_soon(wait)
                with anyio.fail_after(30):
                    while (await probe.get(f"{stopping.base}/healthz")).json()["in_flight"] < 1:
                        await anyio.sleep(0.05)
                stopping.process.send_signal(signal.SIGTERM)
                with anyio.fail_after(10):  # the open connection now hears "draining"
                    while (await probe.get(f"{stopping.base}/healthz")).status_code == 200:
                        await anyio.sleep(0.05)
                late = await probe.post(stopping.url, headers=headers, json=tool_call(2, "task_list", {}))
                assert late.status_code == 503, late.text
                await _call(writer, "session_update", {"session_id": sid, "status": "completed",
                                                       "result": {"summary": "finished while draining"}})
        code = await anyio.to_thread.run_sync(lambda: stopping.process.wait(timeout=60))
    finally:
        logs = [stopping.stop(), other.stop()]
    assert code == 0, logs[0]
    assert all("Traceback" not in log for log in logs), logs
    assert len(answers) == 1 and answers[0].status_code == 200, answers
    answer = sse_messages(answers[0].text)[-1]
    assert answer["id"] == 1 and answer["result"]["isError"] is False, answer
    waited = answer["result"]["structuredContent"]
    assert waited["done"] is True and waited["timed_out"] is False, waited
    assert [s["status"] for s in waited["sessions"]] == ["completed"], waited
