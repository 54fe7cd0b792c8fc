"""The provider interface every model adapter implements."""

from __future__ import annotations

from typing import Protocol

from orchestra.providers.model import ProviderReply, ProviderRequest


class ModelProvider(Protocol):
    """A model endpoint. Adapters do I/O only; egress, budgets and the ledger live in the service."""

    @property
    def id(self) -> str:
        """Provider id as recorded in the ledger (``fake``, ``ollama``)."""
        ...

    @property
    def base_url(self) -> str | None:
        """The configured base URL (``None``: no network, or the provider's default)."""
        ...

    @property
    def billed(self) -> bool:
        """False for local and fake providers: their calls cost nothing."""
        ...

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        """Send the request; raise :class:`~orchestra.providers.errors.ProviderError` on failure."""
        ...
