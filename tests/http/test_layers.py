"""The transport's ASGI layers, driven with real ASGI messages (no server): body bounds, in-flight limit
and drain, Host/Origin refusal, and the JSON-RPC shape of every refusal."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from orchestra_mcp.http.app import TransportApp
from orchestra_mcp.http.limits import BodyLimit, InFlight
from orchestra_mcp.http.settings import HttpSettings

pytestmark = pytest.mark.anyio


def scope_for(method: str = "POST", path: str = "/mcp", headers: dict[str, str] | None = None) -> Scope:
    raw = [(k.encode(), v.encode()) for k, v in {"host": "127.0.0.1:8765", **(headers or {})}.items()]
    return {"type": "http", "method": method, "path": path, "headers": raw, "query_string": b""}


class Recorder:
    """An ASGI ``send`` that keeps what was sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def chunks(*parts: bytes, delay: float = 0.0, complete: bool = True) -> Receive:
    """``receive`` giving ``parts``; with ``complete=False`` the last says more is coming and none does."""
    queue = list(parts)

    async def receive() -> Message:
        if delay:
            await anyio.sleep(delay)
        if not queue:
            await anyio.sleep_forever()
        part = queue.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(queue) or not complete}

    return receive


class Echo:
    """An inner app answering 200 with the body it read."""

    def __init__(self, hold: anyio.Event | None = None) -> None:
        self.hold = hold
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.hold is not None:
            await self.hold.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def assert_jsonrpc_refusal(sent: Recorder, status: int, reason: str) -> None:
    assert sent.status == status
    assert sent.headers["content-type"] == "application/json"
    body = sent.json
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert isinstance(body["error"]["code"], int) and body["error"]["message"]
    assert body["error"]["data"]["reason"] == reason


async def test_body_within_the_limit_reaches_the_endpoint_whole() -> None:
    inner = Echo()
    sent = Recorder()
    await BodyLimit(inner, 10, 5)(scope_for(), chunks(b"01234", b"56789"), sent)
    assert sent.status == 200 and sent.messages[1]["body"] == b"0123456789"


async def test_declared_oversized_body_is_refused_unread() -> None:
    inner = Echo()
    sent = Recorder()
    await BodyLimit(inner, 10, 5)(scope_for(headers={"content-length": "11"}), chunks(b"x" * 11), sent)
    assert_jsonrpc_refusal(sent, 413, "body_too_large")
    assert "10 bytes" in sent.json["error"]["message"] and inner.calls == 0
    assert sent.headers["connection"] == "close"


async def test_chunked_oversized_body_is_refused_while_reading() -> None:
    inner = Echo()
    sent = Recorder()
    await BodyLimit(inner, 10, 5)(scope_for(), chunks(b"012345", b"6789ab", b"more"), sent)
    assert_jsonrpc_refusal(sent, 413, "body_too_large")
    assert inner.calls == 0


async def test_a_body_that_does_not_arrive_in_time_is_refused() -> None:
    inner = Echo()
    sent = Recorder()
    with anyio.fail_after(5):
        await BodyLimit(inner, 1000, 0.2)(scope_for(), chunks(b"{", delay=0.05, complete=False), sent)
    assert_jsonrpc_refusal(sent, 408, "body_timeout")
    assert inner.calls == 0


async def test_get_streams_are_not_buffered() -> None:
    inner = Echo()
    sent = Recorder()
    await BodyLimit(inner, 1, 0.1)(scope_for("GET"), chunks(b""), sent)
    assert sent.status == 200


async def test_beyond_the_in_flight_limit_requests_get_503_with_retry_after() -> None:
    inflight = InFlight(2)
    hold = anyio.Event()
    app = inflight.wrap(Echo(hold))
    results: list[Recorder] = [Recorder() for _ in range(4)]
    async with anyio.create_task_group() as tg:
        for sent in results[:2]:
            tg.start_soon(app, scope_for(), chunks(b"{}"), sent)
        await anyio.wait_all_tasks_blocked()
        assert inflight.active == 2
        for sent in results[2:]:
            await app(scope_for(), chunks(b"{}"), sent)
        get = Recorder()
        await anyio.wait_all_tasks_blocked()
        hold.set()
        await app(scope_for("GET"), chunks(b""), get)  # GET streams are not counted against the limit
    assert [r.status for r in results] == [200, 200, 503, 503]
    for refused in results[2:]:
        assert_jsonrpc_refusal(refused, 503, "overloaded")
        assert refused.headers["retry-after"] == "1"
    assert inflight.active == 0 and inflight.peak == 2 and inflight.refused == 2


async def test_draining_refuses_new_requests_and_waits_for_running_ones() -> None:
    inflight = InFlight(8)
    hold = anyio.Event()
    app = inflight.wrap(Echo(hold))
    running = Recorder()
    async with anyio.create_task_group() as tg:
        tg.start_soon(app, scope_for(), chunks(b"{}"), running)
        await anyio.wait_all_tasks_blocked()
        inflight.start_draining()
        late = Recorder()
        await app(scope_for(), chunks(b"{}"), late)
        assert_jsonrpc_refusal(late, 503, "shutting_down")
        stream = Recorder()
        await app(scope_for("GET"), chunks(b""), stream)  # no new server-to-client stream either
        assert_jsonrpc_refusal(stream, 503, "shutting_down")
        assert not await inflight.wait_idle(0.05)  # still running
        hold.set()
        assert await inflight.wait_idle(5)
    assert running.status == 200


async def test_transport_app_refuses_a_foreign_host_before_anything_else() -> None:
    inner = Echo()
    app = TransportApp(inner, HttpSettings(port=8765))
    for headers, status, reason in (
        ({"host": "evil.example:8765"}, 421, "host_not_allowed"),
        ({"origin": "http://evil.example"}, 403, "origin_not_allowed"),
        ({"origin": "null"}, 403, "origin_not_allowed"),
    ):
        sent = Recorder()
        await app(scope_for(headers=headers), chunks(b"{}"), sent)
        assert_jsonrpc_refusal(sent, status, reason)
    assert inner.calls == 0
    sent = Recorder()
    await app(scope_for(headers={"origin": "http://localhost:8765"}), chunks(b"{}"), sent)
    assert sent.status == 200 and inner.calls == 1


async def test_health_answers_and_says_when_draining() -> None:
    app = TransportApp(Echo(), HttpSettings(port=8765))
    sent = Recorder()
    await app(scope_for("GET", "/healthz"), chunks(b""), sent)
    assert sent.status == 200 and sent.json == {"status": "ok", "in_flight": 0}
    app.inflight.start_draining()
    sent = Recorder()
    await app(scope_for("GET", "/healthz"), chunks(b""), sent)
    assert sent.status == 503 and sent.json["status"] == "draining"


async def test_extra_middleware_runs_inside_the_transport_layers_in_order() -> None:
    seen: list[str] = []

    def layer(name: str) -> Any:
        def factory(app: Any) -> Any:
            async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http":
                    message = await receive()  # the body is already bounded and buffered
                    seen.append(f"{name}:{len(message['body'])}")

                    async def again() -> Message:
                        return message

                    await app(scope, again, send)
                    return
                await app(scope, receive, send)
            return wrapped
        return factory

    app = TransportApp(Echo(), HttpSettings(port=8765), extra_middleware=[layer("auth"), layer("admission")])
    sent = Recorder()
    await app(scope_for(), chunks(b"{", b"}"), sent)
    assert sent.status == 200 and seen == ["auth:2", "admission:2"]
    refused = Recorder()
    await app(scope_for(headers={"host": "evil:1"}), chunks(b"{}"), refused)
    assert refused.status == 421 and seen == ["auth:2", "admission:2"]  # refused before the seam
