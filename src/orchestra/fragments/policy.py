"""Retention policies for restricted fragments (``restrictedFragments`` section of ``config.json``).

Storage is ``disabled`` unless a policy names the category and the sink::

    {"restrictedFragments": {"policies": [
        {"id": "keep-leaked-keys", "categories": ["api_key", "token"], "sinks": ["transcript"],
         "mode": "encrypted", "retentionDays": 90, "allowRestore": true, "legalHold": false}]}}

``mode`` is ``shadow_only`` (a sanitized shadow, no ciphertext) or ``encrypted`` (shadow plus envelope).
``allowRestore`` is only valid with ``encrypted``; each (category, sink) pair may be named by one policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from orchestra.clock import iso_ms
from orchestra.errors import ConfigError
from orchestra.fragments.model import FragmentCategory, StorageMode
from orchestra.security.model import Category
from orchestra.validation import describe_validation_error
from orchestra.workspace.config import OrchestraConfig

SECTION = "restrictedFragments"
RetentionSink = Literal["transcript", "evidence", "export"]


class _Section(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class RetentionPolicy(_Section):
    """What to keep for some categories in some sinks."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    categories: list[FragmentCategory] = Field(min_length=1, max_length=8)
    sinks: list[RetentionSink] = Field(min_length=1, max_length=3)
    mode: Literal["shadow_only", "encrypted"]
    retention_days: int | None = Field(None, ge=1, le=36_500)
    allow_restore: bool = False
    legal_hold: bool = False

    def expires_at(self, now: datetime) -> str | None:
        """When a fragment retained now expires (``None``: kept until shredded)."""
        return iso_ms(now + timedelta(days=self.retention_days)) if self.retention_days else None


class FragmentPolicy(_Section):
    """Every retention policy of the workspace."""

    policies: list[RetentionPolicy] = Field(default_factory=list, max_length=64)

    @classmethod
    def from_config(cls, config: OrchestraConfig) -> FragmentPolicy:
        """Read and check the section (absent → storage disabled); problems are ``config_invalid``."""
        section = (config.model_extra or {}).get(SECTION)
        if section is None:
            return cls()
        try:
            policy = cls.model_validate(section)
        except PydanticValidationError as exc:
            problem = describe_validation_error(exc, f"{SECTION} section", section=SECTION)
            raise ConfigError(f"config.json {problem}") from None
        policy.check()
        return policy

    def check(self) -> None:
        """Unique ids, one policy per (category, sink), restore only with encryption."""
        seen: dict[tuple[str, str], str] = {}
        ids: set[str] = set()
        for index, item in enumerate(self.policies):
            where = f"config.json {SECTION}.policies[{index}]"
            if item.id in ids:
                raise ConfigError(f"{where}: policy id '{item.id}' is used twice")
            ids.add(item.id)
            if item.allow_restore and item.mode != "encrypted":
                raise ConfigError(f"{where}: allowRestore needs mode 'encrypted' (a shadow cannot be restored)")
            for category in item.categories:
                for sink in item.sinks:
                    other = seen.get((category.value, sink))
                    if other is not None:
                        raise ConfigError(f"{where}: category '{category.value}' in sink '{sink}' is already "
                                          f"covered by policy '{other}'")
                    seen[(category.value, sink)] = item.id

    @property
    def enabled(self) -> bool:
        """Whether any policy keeps anything."""
        return bool(self.policies)

    def for_fragment(self, category: FragmentCategory, sink: str) -> RetentionPolicy | None:
        """The policy that covers ``category`` in ``sink`` (``None``: disabled)."""
        for item in self.policies:
            if category in item.categories and sink in item.sinks:
                return item
        return None

    def by_id(self, policy_id: str) -> RetentionPolicy | None:
        """A policy by id."""
        return next((p for p in self.policies if p.id == policy_id), None)

    def mode_for(self, category: FragmentCategory, sink: str) -> StorageMode:
        """``disabled`` unless a policy covers the pair."""
        item = self.for_fragment(category, sink)
        return StorageMode.DISABLED if item is None else StorageMode(item.mode)


def fragment_category(category: Category, rule_id: str) -> FragmentCategory | None:
    """The fragment category of a guard finding (``None`` for execution risks)."""
    rid = rule_id.lower()
    if category is Category.PASSWORD:
        return FragmentCategory.PASSWORD
    if category is Category.SECRET:
        if any(word in rid for word in ("token", "jwt", "bearer")):
            return FragmentCategory.TOKEN
        if "key" in rid:
            return FragmentCategory.API_KEY
        return FragmentCategory.CREDENTIAL
    return {
        Category.PRIVATE_KEY: FragmentCategory.PRIVATE_KEY,
        Category.PAYMENT_DATA: FragmentCategory.PAYMENT_DATA,
        Category.SENSITIVE_PII: FragmentCategory.SENSITIVE_PII,
        Category.CONTACT_PII: FragmentCategory.REGULATED_PII,
    }.get(category)
