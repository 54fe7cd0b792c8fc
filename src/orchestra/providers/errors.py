"""Provider errors (stable codes; messages are sanitized and never carry URLs, keys or content)."""

from __future__ import annotations

from orchestra.errors import OrchestraError, ValidationError


class ProviderError(OrchestraError):
    """A provider call failed."""

    code = "provider_error"


class ProviderUnavailableError(ProviderError):
    """Timeouts, network failures or 5xx answers outlasted the retries."""

    code = "provider_unavailable"
    retryable = True


class ProviderResponseError(ProviderError):
    """The provider answered with something unusable: 4xx, a redirect, malformed JSON or an oversized body."""

    code = "provider_bad_response"


class ProviderNotConfiguredError(ProviderError):
    """No provider is configured (``providers.defaults.provider`` is ``none``) and none was named."""

    code = "provider_not_configured"


class UnknownProviderError(ValidationError):
    """The provider id is not one this server can call."""

    code = "unknown_provider"


class UnknownModelAliasError(ValidationError):
    """The public model alias does not exist."""

    code = "unknown_model_alias"
