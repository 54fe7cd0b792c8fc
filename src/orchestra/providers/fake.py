"""A deterministic, offline provider for tests and dry runs."""

from __future__ import annotations

import hashlib

from orchestra.providers.model import ProviderReply, ProviderRequest
from orchestra.providers.tokens import estimate_tokens


class FakeProvider:
    """Replies ``fake reply <digest>`` where the digest covers model and messages; reports usage."""

    id = "fake"
    base_url: str | None = None
    billed = False

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        """Same request, same reply; never touches the network."""
        digest = hashlib.sha256()
        digest.update(request.model.encode())
        for message in request.messages:
            digest.update(b"\0" + message.role.encode() + b"\0" + message.content.encode("utf-8", "surrogatepass"))
        hexed = digest.hexdigest()
        content = f"fake reply {hexed[:16]} to {len(request.messages)} message(s)"
        limited = request.max_tokens is not None and estimate_tokens(content) > request.max_tokens
        if limited and request.max_tokens is not None:
            content = content[: request.max_tokens * 4]
        return ProviderReply(
            content=content, finish_reason="length" if limited else "stop", model=request.model,
            response_id=f"fake-{hexed[16:32]}",
            input_tokens=sum(estimate_tokens(m.content) for m in request.messages),
            output_tokens=estimate_tokens(content),
        )
