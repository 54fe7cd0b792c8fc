"""Model providers behind one guarded call path (egress → budget preflight → call → ledger)."""

from orchestra.providers.aliases import ModelAlias, list_aliases, resolve_alias
from orchestra.providers.base import ModelProvider
from orchestra.providers.errors import (
    ProviderError,
    ProviderNotConfiguredError,
    ProviderResponseError,
    ProviderUnavailableError,
    UnknownModelAliasError,
    UnknownProviderError,
)
from orchestra.providers.fake import FakeProvider
from orchestra.providers.model import CallScope, ChatMessage, Completion, ProviderReply, ProviderRequest
from orchestra.providers.ollama import OllamaProvider
from orchestra.providers.service import ProviderService

__all__ = [
    "CallScope",
    "ChatMessage",
    "Completion",
    "FakeProvider",
    "ModelAlias",
    "ModelProvider",
    "OllamaProvider",
    "ProviderError",
    "ProviderNotConfiguredError",
    "ProviderReply",
    "ProviderRequest",
    "ProviderResponseError",
    "ProviderService",
    "ProviderUnavailableError",
    "UnknownModelAliasError",
    "UnknownProviderError",
    "list_aliases",
    "resolve_alias",
]
