"""The restricted-fragment vocabulary (reference §6): categories, lifecycle, restore statuses, audit
events, and the records that may leave the fragment boundary (shadows, results; never values)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

STORAGE_DEFAULT_MODE = "disabled"
ENVELOPE_ALGORITHMS = ("AES-256-GCM",)
ENVELOPE_SCHEMA_VERSION = 1
ADMIN_SCOPE = "fragments:admin"


class FragmentCategory(StrEnum):
    """What a retained fragment is (the seed's category type)."""

    CREDENTIAL = "credential"
    PASSWORD = "password"
    API_KEY = "api_key"
    TOKEN = "token"
    PRIVATE_KEY = "private_key"
    PAYMENT_DATA = "payment_data"
    REGULATED_PII = "regulated_pii"
    SENSITIVE_PII = "sensitive_pii"


class StorageMode(StrEnum):
    """What a retention policy keeps."""

    DISABLED = "disabled"
    SHADOW_ONLY = "shadow_only"
    ENCRYPTED = "encrypted"


class LifecycleStatus(StrEnum):
    """Where a fragment is in its life (the seed's lifecycle type)."""

    SHADOW_ONLY = "shadow_only"
    ENCRYPTED = "encrypted"
    DELETE_REQUESTED = "delete_requested"
    CIPHERTEXT_DELETED = "ciphertext_deleted"
    KEY_DESTROYED = "key_destroyed"
    CRYPTO_SHREDDED = "crypto_shredded"
    RAW_NOT_PERSISTED = "raw_not_persisted"
    BACKUP_EXPIRY_PENDING = "backup_expiry_pending"


class RestoreStatus(StrEnum):
    """The answer to a restore attempt (the seed's restore status type)."""

    NOT_ALLOWED = "not_allowed"
    ALLOWED_BY_POLICY = "allowed_by_policy"
    BLOCKED_KEY_DESTROYED = "blocked_key_destroyed"
    BLOCKED_EXPIRED = "blocked_expired"
    BLOCKED_UNAUTHORIZED = "blocked_unauthorized"
    BLOCKED_LEGAL_HOLD = "blocked_legal_hold"
    BLOCKED_POLICY = "blocked_policy"


class AuditEvent(StrEnum):
    """The nine ``restricted_fragment_*`` audit events (recorded as upper-case event types)."""

    DETECTED = "restricted_fragment_detected"
    SHADOW_RECORDED = "restricted_fragment_shadow_recorded"
    ENCRYPTED = "restricted_fragment_encrypted"
    DECRYPT_DENIED = "restricted_fragment_decrypt_denied"
    RESTORE_ATTEMPTED = "restricted_fragment_restore_attempted"
    CIPHERTEXT_DELETED = "restricted_fragment_ciphertext_deleted"
    KEY_DESTROYED = "restricted_fragment_key_destroyed"
    CRYPTO_SHREDDED = "restricted_fragment_crypto_shredded"
    BACKUP_EXPIRY_PENDING = "restricted_fragment_backup_expiry_pending"

    @property
    def event_type(self) -> str:
        """The audit log's event type (``RESTRICTED_FRAGMENT_…``)."""
        return self.value.upper()


class RedactedShadow(BaseModel):
    """The transcript-safe record of a fragment: ids, category, policy, marker, lifecycle. No value,
    ciphertext or key material."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    fragment_id: str
    tenant_id: str
    workspace_id: str
    source_kind: str = Field(description="chat_message, chat_thread, handoff_artifact, handoff_result or export.")
    source_message_id: str = Field(description="Id of the record the marker is in (message, thread, session).")
    source_field: str = Field(description="The field of that record, e.g. 'content'.")
    thread_id: str | None = None
    task_id: str | None = None
    category: FragmentCategory
    rule_id: str
    policy_id: str
    retention_class: str = Field(description="The sink whose policy retained it (transcript, evidence, export).")
    redaction_marker: str
    marker_index: int = Field(description="Which redacted region of the field (0 = the first marker).")
    sanitized_summary: str
    lifecycle_status: LifecycleStatus
    created_at: str
    expires_at: str | None
    legal_hold: bool
    plaintext_digest: str | None = Field(None, description="Keyed HMAC of the value (cleared by a shred).")


class FragmentPage(BaseModel):
    """A page of shadows."""

    fragments: list[RedactedShadow]
    count: int
    next_after: str | None = Field(None, description="Pass as 'after' to read the next page.")


class RestoreResult(BaseModel):
    """The outcome of a restore attempt. ``plaintext`` is set only when ``status`` is ``allowed_by_policy``."""

    fragment_id: str
    status: RestoreStatus
    restored: bool
    failed_preconditions: list[str] = Field(
        default_factory=list,
        description="principal, reason, fragment, ciphertext, policy, legal_hold, expiry, key, integrity.")
    message: str
    audit_event_ids: list[str]
    plaintext: str | None = Field(None, description="The original value; for the caller only, never stored.")


class CryptoShredResult(BaseModel):
    """What a shred did (the seed's CryptoShredResult, for one or many fragments)."""

    status: LifecycleStatus = Field(description="crypto_shredded, or raw_not_persisted when nothing was kept.")
    fragment_ids: list[str]
    ciphertext_deleted: int
    key_destroyed: int
    raw_not_persisted: int
    skipped_legal_hold: list[str] = Field(default_factory=list)
    destroyed_key_versions: list[str] = Field(default_factory=list, description="'<key id>@v<n>' destroyed.")
    rewrapped: int = Field(0, description="Other fragments moved to the new key version.")
    backup_expiry_pending: bool
    wal_checkpointed: bool = Field(False, description="The WAL was copied back and truncated (False when another "
                                                      "process's open read kept it; the keys are destroyed anyway).")
    audit_event_id: str | None
    completed_at: str


class KeyVersionStatus(BaseModel):
    """One key-encryption-key version (metadata only)."""

    key_id: str
    tenant_id: str
    version: int
    state: str = Field(description="active, retired or destroyed.")
    present: bool = Field(description="Whether the provider still holds the key material.")
    fragments: int = Field(description="Fragments whose data key is wrapped by this version.")
    created_at: str
    destroyed_at: str | None = None


class KeyStatus(BaseModel):
    """The key provider and its key versions."""

    provider: str
    versions: list[KeyVersionStatus]


class RotateResult(BaseModel):
    """What a rotation did."""

    tenant_id: str
    key_id: str
    new_version: int
    rewrapped: int
    destroyed_versions: list[int]
    audit_event_id: str
