"""A loopback HTTP server speaking Ollama's OpenAI-compatible chat completions API, with scripted faults."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Script:
    """Behaviours to play, one per request (the last one repeats)."""

    steps: list[str] = field(default_factory=lambda: ["ok"])
    content: str = "hello from ollama"
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> str:
        with self.lock:
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]


def reply(content: str, usage: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "chatcmpl-42", "object": "chat.completion", "model": "llama3.1:8b",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                        "finish_reason": "stop"}]}
    if usage:
        out["usage"] = {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    return out


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            script.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)))
            step = script.next()
            with suppress(BrokenPipeError, ConnectionResetError):
                self._play(step)

        def _play(self, step: str) -> None:
            if step == "ok":
                self._send(200, json.dumps(reply(script.content)).encode())
            elif step == "no_usage":
                self._send(200, json.dumps(reply(script.content, usage=False)).encode())
            elif step.startswith("status:"):
                code = int(step.split(":")[1])
                self._send(code, json.dumps({"error": {"message": "bad key Bearer sk_live_" + "x" * 20}}).encode())
            elif step.startswith("sleep:"):
                time.sleep(float(step.split(":")[1]))
                self._send(200, json.dumps(reply(script.content)).encode())
            elif step == "malformed":
                self._send(200, b'{"choices": [ {"message": ')
            elif step == "wrong_shape":
                self._send(200, b'{"choices": []}')
            elif step == "huge_declared":
                self._send(200, b"x" * (5 * 1024 * 1024))
            elif step == "huge_chunked":
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                for _ in range(80):
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            elif step == "redirect":
                self._send(307, b"{}", {"location": "http://169.254.169.254/latest"})
            else:
                raise AssertionError(step)

    return Handler


@contextmanager
def loopback_ollama(*steps: str, content: str = "hello from ollama") -> Iterator[tuple[str, Script]]:
    """``(base_url, script)`` for a server on 127.0.0.1 with an ephemeral port."""
    script = Script(steps=list(steps) or ["ok"], content=content)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
