"""Rows of the fragment tables and the shadow records built from them."""

from __future__ import annotations

from typing import Any

from orchestra.fragments.envelope import associated_data
from orchestra.fragments.keys import wrap_context
from orchestra.fragments.model import FragmentCategory, LifecycleStatus, RedactedShadow
from orchestra.store.base import Row

SHADOW_COLUMNS = (
    "fragment_id", "tenant_id", "workspace_id", "source_kind", "source_id", "source_field", "thread_id", "task_id",
    "category", "rule_id", "policy_id", "retention_class", "marker", "marker_index", "summary", "lifecycle_status",
    "legal_hold", "plaintext_digest", "created_at", "updated_at", "expires_at",
)
INSERT_SHADOW = (f"INSERT INTO restricted_fragments ({', '.join(SHADOW_COLUMNS)}) "
                 f"VALUES ({', '.join('?' for _ in SHADOW_COLUMNS)})")
FINAL_STATES = (LifecycleStatus.CRYPTO_SHREDDED.value, LifecycleStatus.RAW_NOT_PERSISTED.value)
SHREDDING_STATES = (LifecycleStatus.DELETE_REQUESTED.value, LifecycleStatus.CIPHERTEXT_DELETED.value,
                    LifecycleStatus.KEY_DESTROYED.value)


def to_shadow(row: Row) -> RedactedShadow:
    """The shadow of a fragment row."""
    return RedactedShadow(
        fragment_id=row["fragment_id"], tenant_id=row["tenant_id"], workspace_id=row["workspace_id"],
        source_kind=row["source_kind"], source_message_id=row["source_id"], source_field=row["source_field"],
        thread_id=row["thread_id"], task_id=row["task_id"], category=FragmentCategory(row["category"]),
        rule_id=row["rule_id"], policy_id=row["policy_id"], retention_class=row["retention_class"],
        redaction_marker=row["marker"], marker_index=int(row["marker_index"]), sanitized_summary=row["summary"],
        lifecycle_status=LifecycleStatus(row["lifecycle_status"]), created_at=row["created_at"],
        expires_at=row["expires_at"], legal_hold=bool(row["legal_hold"]), plaintext_digest=row["plaintext_digest"],
    )


def aad_of(row: Row | dict[str, Any]) -> bytes:
    """The envelope's associated data for a fragment row."""
    return associated_data(tenant_id=row["tenant_id"], workspace_id=row["workspace_id"],
                           fragment_id=row["fragment_id"], category=row["category"], policy_id=row["policy_id"],
                           retention_class=row["retention_class"])


def context_of(row: Row | dict[str, Any], key_id: str, version: int) -> bytes:
    """The wrap context of a fragment row's data key under ``key_id`` version ``version``."""
    return wrap_context(tenant_id=row["tenant_id"], workspace_id=row["workspace_id"],
                        fragment_id=row["fragment_id"], category=row["category"], policy_id=row["policy_id"],
                        retention_class=row["retention_class"], key_id=key_id, version=version)


def in_clause(values: list[str]) -> str:
    """``(?, ?, …)`` for ``values``."""
    return "(" + ", ".join("?" for _ in values) + ")"
