"""Public model aliases: exactly one, ``default``, resolving to ``providers.defaults``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from orchestra.providers.errors import UnknownModelAliasError
from orchestra.security.identifiers import shown_id
from orchestra.workspace.config import ProviderDefaults, Providers

DEFAULT_ALIAS = "default"


class AliasCapabilities(BaseModel):
    """What the alias supports."""

    conversation: bool = True
    streaming: bool = False


class ModelAlias(BaseModel):
    """A public alias (reference §8.4 shape) and where it routes today."""

    id: str
    object: str = "model"
    title: str
    default: bool
    capabilities: AliasCapabilities = Field(default_factory=AliasCapabilities)
    provider: str = Field(description="Configured provider ('none' = server-side calls disabled).")
    model: str = Field(description="Configured model.")


def list_aliases(providers: Providers) -> list[ModelAlias]:
    """The aliases, with their current routing."""
    defaults = providers.defaults
    return [ModelAlias(id=DEFAULT_ALIAS, title="Default Orchestra Chat", default=True,
                       provider=defaults.provider, model=defaults.model)]


def resolve_alias(providers: Providers, alias: str = DEFAULT_ALIAS) -> ProviderDefaults:
    """A copy of ``providers.defaults`` for ``default``; anything else is ``unknown_model_alias``."""
    if alias != DEFAULT_ALIAS:
        raise UnknownModelAliasError(f"unknown public model alias: {shown_id(alias)}",
                                     details={"aliases": [DEFAULT_ALIAS]})
    return providers.defaults.model_copy(deep=True)
