"""Restricted fragments: encrypted retention of redacted values, crypto-shred, restore denied by default."""

from orchestra.fragments.keys import KeyProvider, LocalKeyProvider
from orchestra.fragments.model import (
    AuditEvent,
    CryptoShredResult,
    FragmentCategory,
    FragmentPage,
    KeyStatus,
    LifecycleStatus,
    RedactedShadow,
    RestoreResult,
    RestoreStatus,
    RotateResult,
    StorageMode,
)
from orchestra.fragments.policy import FragmentPolicy, RetentionPolicy
from orchestra.fragments.principals import Principal, local_operator, mcp_caller
from orchestra.fragments.service import FragmentService, FragmentSource, Prepared

__all__ = [
    "AuditEvent",
    "CryptoShredResult",
    "FragmentCategory",
    "FragmentPage",
    "FragmentPolicy",
    "FragmentService",
    "FragmentSource",
    "KeyProvider",
    "KeyStatus",
    "LifecycleStatus",
    "LocalKeyProvider",
    "Prepared",
    "Principal",
    "RedactedShadow",
    "RestoreResult",
    "RestoreStatus",
    "RetentionPolicy",
    "RotateResult",
    "StorageMode",
    "local_operator",
    "mcp_caller",
]
