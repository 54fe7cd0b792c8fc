"""Building provider adapters from config and the environment (``OLLAMA_*`` as in the original)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orchestra.providers.base import ModelProvider
from orchestra.providers.errors import ProviderError, ProviderNotConfiguredError, UnknownProviderError
from orchestra.providers.fake import FakeProvider
from orchestra.providers.ollama import OllamaProvider
from orchestra.security.identifiers import shown_id
from orchestra.workspace.config import ProviderDefaults

SUPPORTED_PROVIDERS = ("fake", "ollama")
MAX_KEY_FILE_BYTES = 4096


def ollama_api_key(env: Mapping[str, str]) -> str:
    """``OLLAMA_API_KEY``, else the content of ``OLLAMA_API_KEY_FILE``, else ``"ollama"``."""
    key = env.get("OLLAMA_API_KEY", "").strip()
    if key:
        return key
    key_file = env.get("OLLAMA_API_KEY_FILE", "").strip()
    if key_file:
        try:
            with Path(key_file).open("rb") as handle:
                key = handle.read(MAX_KEY_FILE_BYTES).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise ProviderError("OLLAMA_API_KEY_FILE cannot be read") from None
        if key:
            return key
    return "ollama"


def build_provider(provider_id: str, settings: ProviderDefaults, env: Mapping[str, str]) -> ModelProvider:
    """The adapter for ``provider_id``; ``none`` is ``provider_not_configured``, others ``unknown_provider``."""
    pid = provider_id.strip().lower()
    if pid == "fake":
        return FakeProvider()
    if pid == "ollama":
        base_url = env.get("OLLAMA_BASE_URL", "").strip() or None
        return OllamaProvider(base_url=base_url, api_key=ollama_api_key(env),
                              timeout_s=settings.timeout_ms / 1000, retries=settings.retries)
    if pid in ("", "none"):
        raise ProviderNotConfiguredError(
            "no provider is configured: set providers.defaults.provider in config.json or pass a provider")
    raise UnknownProviderError(f"unknown provider: {shown_id(provider_id)}",
                               details={"supported": list(SUPPORTED_PROVIDERS)})
