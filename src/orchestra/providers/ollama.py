"""Ollama over its OpenAI-compatible chat completions API (``POST <base>/chat/completions``).

The adapter only does HTTP: it connects to the base URL the egress check normalised
(never one it resolves itself), follows no redirects, ignores proxy environment
variables, caps every response body, and retries timeouts, network errors, 429 and
5xx answers with exponential backoff. Messages in errors are sanitized.
"""

from __future__ import annotations

import functools
import json
import re
import ssl
from typing import Any

import anyio
import httpx2

from orchestra.ledger.model import ID_PATTERN, NAME_PATTERN
from orchestra.providers.errors import ProviderError, ProviderResponseError, ProviderUnavailableError
from orchestra.providers.model import FinishReason, ProviderReply, ProviderRequest
from orchestra.security.egress import sanitize_provider_error

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_BACKOFF_S = 2.0
_ID_RE = re.compile(ID_PATTERN)
_NAME_RE = re.compile(NAME_PATTERN)
_MAX_REPORTED_TOKENS = 10**12


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One default TLS context per process (building one per client costs milliseconds)."""
    return ssl.create_default_context()


def chat_endpoint(base_url: str) -> str:
    """``<base>/chat/completions`` unless the path already ends with it."""
    base = base_url.rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def request_body(request: ProviderRequest) -> dict[str, Any]:
    """The reference request shape: ``{model, stream:false, messages, max_tokens?, temperature?}``."""
    body: dict[str, Any] = {
        "model": request.model,
        "stream": False,
        "messages": [{"role": "user" if m.role == "tool" else m.role, "content": m.content}
                     for m in request.messages],
    }
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    return body


class _Transient(Exception):
    """An attempt failed in a way worth retrying."""


class OllamaProvider:
    """The ``ollama`` provider (private network only; not billed)."""

    id = "ollama"
    billed = False

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str = "ollama",
        timeout_s: float = 30.0,
        retries: int = 0,
        backoff_s: float = 0.1,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._retries = max(0, retries)
        self._backoff_s = backoff_s
        self._max_bytes = max_response_bytes

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        """POST the chat completion; retries are bounded by ``retries``."""
        if request.base_url is None:
            raise ProviderError("the ollama provider needs the base URL the egress check approved")
        endpoint = chat_endpoint(request.base_url)
        body = json.dumps(request_body(request), ensure_ascii=False).encode("utf-8")
        headers = {"authorization": f"Bearer {self._api_key}", "content-type": "application/json",
                   "accept": "application/json"}
        attempts = 0
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(self._timeout_s), follow_redirects=False,
                                      trust_env=False, verify=_tls_context()) as client:
            while True:
                attempts += 1
                try:
                    with anyio.fail_after(self._timeout_s):
                        status, raw = await self._post(client, endpoint, body, headers)
                    if status == 429 or status >= 500:
                        raise _Transient(f"HTTP {status}")
                    return _parse(status, raw, request, attempts)
                except (TimeoutError, httpx2.TimeoutException):
                    failure = f"no answer within {self._timeout_s:g} s"
                except httpx2.NetworkError as exc:
                    failure = f"network error ({type(exc).__name__})"
                except _Transient as exc:
                    failure = str(exc)
                except httpx2.HTTPError as exc:
                    raise ProviderResponseError(
                        "Ollama API request failed: " + sanitize_provider_error(str(exc) or type(exc).__name__),
                        details={"attempts": attempts}) from None
                if attempts > self._retries:
                    raise ProviderUnavailableError(
                        f"Ollama API unavailable after {attempts} attempt(s): {failure}",
                        details={"attempts": attempts, "last_failure": failure})
                await anyio.sleep(min(MAX_BACKOFF_S, self._backoff_s * 2 ** (attempts - 1)))

    async def _post(self, client: httpx2.AsyncClient, endpoint: str, body: bytes,
                    headers: dict[str, str]) -> tuple[int, bytes]:
        async with client.stream("POST", endpoint, content=body, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise ProviderResponseError(f"Ollama API response exceeds {self._max_bytes} bytes",
                                            details={"status": response.status_code})
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise ProviderResponseError(f"Ollama API response exceeds {self._max_bytes} bytes",
                                                details={"status": response.status_code})
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)


def _parse(status: int, raw: bytes, request: ProviderRequest, attempts: int) -> ProviderReply:
    if 300 <= status < 400:
        raise ProviderResponseError(f"Ollama API answered with a redirect (HTTP {status}); redirects are not "
                                    "followed", details={"status": status, "attempts": attempts})
    if not 200 <= status < 300:
        raise ProviderResponseError(f"Ollama API returned HTTP {status}",
                                    details={"status": status, "attempts": attempts, "error": _error_text(raw)})
    try:
        data = json.loads(raw.decode("utf-8"))
        choice = data["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
        if not isinstance(content, str):
            raise TypeError("content is not text")
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ProviderResponseError("Ollama API returned malformed JSON (no choices[0].message.content)",
                                    details={"status": status, "attempts": attempts}) from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    response_id = data.get("id")
    model = data.get("model")
    return ProviderReply(
        content=content,
        finish_reason=_finish(choice.get("finish_reason")),
        model=model if isinstance(model, str) and _NAME_RE.match(model) else request.model,
        response_id=response_id if isinstance(response_id, str) and _ID_RE.match(response_id) else None,
        input_tokens=_count(usage.get("prompt_tokens")),
        output_tokens=_count(usage.get("completion_tokens")),
        attempts=attempts,
    )


def _finish(value: object) -> FinishReason:
    if value == "length":
        return "length"
    if value == "tool_calls":
        return "tool_call"
    return "stop"


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_REPORTED_TOKENS:
        return value
    return None


def _error_text(raw: bytes) -> str:
    try:
        data = json.loads(raw.decode("utf-8"))
        error = data.get("error") if isinstance(data, dict) else None
        text = error.get("message") if isinstance(error, dict) else error
        return sanitize_provider_error(str(text), max_chars=240) if text else ""
    except (UnicodeDecodeError, ValueError):
        return ""
