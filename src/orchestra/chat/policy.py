"""The workspace's chat policy (``chat`` section of ``config.json``) and the policy records it yields.

``{"chat": {"restrictedContent": "redact" | "refuse", "retention": "redacted_only" | "raw_allowed"}}``;
defaults: redact, redacted_only (the seed's defaults). ``raw_allowed`` keeps the text of a message
unredacted only when the guard found nothing in it; restricted values are always redacted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from orchestra.chat.records import DeletePolicy, ExportPolicy, RetentionPolicy
from orchestra.errors import ConfigError
from orchestra.validation import describe_validation_error
from orchestra.workspace.config import OrchestraConfig

RETAIN_REDACTED = "chat-retain-redacted"
RETAIN_RAW = "chat-retain-raw-allowed"
EXPORT_REDACTED = "chat-export-redacted"
DELETE_LOGICAL = "chat-delete-logical"
DELETE_TOMBSTONE = "chat-delete-audit-tombstone"
REDACTION_POLICY = "chat-guard-redaction"
GUARD_ACTOR = "orchestra-guard"


class ChatPolicy(BaseModel):
    """What the workspace decides about restricted data in chat."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    restricted_content: Literal["redact", "refuse"] = "redact"
    retention: Literal["redacted_only", "raw_allowed"] = "redacted_only"

    @classmethod
    def from_config(cls, config: OrchestraConfig) -> ChatPolicy:
        """Read the ``chat`` section (absent → defaults); a bad value is a ``config_invalid`` error."""
        section = (config.model_extra or {}).get("chat")
        if section is None:
            return cls()
        try:
            return cls.model_validate(section)
        except PydanticValidationError as exc:
            raise ConfigError(f"config.json {describe_validation_error(exc, 'chat section', section='chat')}") from None

    def retention_record(self, now: str, *, raw: bool) -> RetentionPolicy:
        """The retention record for a message (``raw`` when it is kept unredacted)."""
        if raw:
            return RetentionPolicy(policy_id=RETAIN_RAW, status="raw_allowed", raw_persistence="allowed",
                                   decided_at=now)
        return RetentionPolicy(policy_id=RETAIN_REDACTED, status="redacted_only", raw_persistence="forbidden",
                               decided_at=now)


def export_record(now: str) -> ExportPolicy:
    """Exports are always redacted-only (raw export is not offered)."""
    return ExportPolicy(status="redacted_only", raw_content_exportable=False, policy_id=EXPORT_REDACTED,
                        decided_at=now)


def active_delete_record() -> DeletePolicy:
    """A record that has not been deleted."""
    return DeletePolicy(status="active", policy_id=DELETE_LOGICAL)


def tombstone_record(now: str, actor_id: str, reason_code: str) -> DeletePolicy:
    """The delete record of a tombstoned thread or message."""
    return DeletePolicy(status="tombstoned", policy_id=DELETE_TOMBSTONE, tombstoned_at=now,
                        tombstoned_by_actor_id=actor_id, reason_code=reason_code)


def not_exportable_record(now: str) -> ExportPolicy:
    """Export record of a tombstoned record."""
    return ExportPolicy(status="not_exportable", raw_content_exportable=False, policy_id=DELETE_TOMBSTONE,
                        decided_at=now)
