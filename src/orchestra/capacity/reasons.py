"""Decision statuses, reason codes and the user-safe reason shown for each (reference §7)."""

from __future__ import annotations

from typing import Literal

DecisionStatus = Literal["admitted", "queued", "rejected", "deferred"]
WorkloadClass = Literal["interactive", "workflow-phase", "runtime-native-spawn", "provider-backed-phase",
                        "background-maintenance", "evidence-processing"]
WORKLOAD_CLASSES: tuple[str, ...] = ("interactive", "workflow-phase", "runtime-native-spawn",
                                     "provider-backed-phase", "background-maintenance", "evidence-processing")
Priority = Literal["high", "normal", "low"]
PRIORITY_WEIGHT: dict[str, int] = {"high": 3, "normal": 2, "low": 1}

#: the scope levels checked in order, with the word used in reasons.
LEVELS: tuple[str, ...] = ("platform", "tenant", "workspace", "provider", "runtime")

_REASONS: dict[str, str] = {
    "admitted": "runtime capacity lease admitted",
    "queued_platform_limit": "queued until platform runtime capacity is available",
    "queued_tenant_limit": "queued until tenant runtime capacity is available",
    "queued_workspace_limit": "queued until workspace runtime capacity is available",
    "queued_provider_limit": "queued until provider runtime capacity is available",
    "queued_runtime_limit": "queued until runtime capacity is available",
    "queued_delegation_limit": "queued until a delegation slot is available",
    "queued_no_eligible_worker": "queued until an eligible runtime worker is available",
    "rejected_platform_limit": "platform runtime capacity is exhausted",
    "rejected_tenant_limit": "tenant runtime capacity is exhausted",
    "rejected_workspace_limit": "workspace runtime capacity is exhausted",
    "rejected_provider_limit": "provider runtime capacity is exhausted",
    "rejected_runtime_limit": "runtime capacity is exhausted",
    "rejected_queue_full": "runtime queue is full",
    "rejected_invalid_request": "runtime capacity request is invalid",
    "rejected_missing_scope": "tenant and workspace scope are required",
    "deferred_no_eligible_worker": "no eligible runtime worker is available",
}
REASON_CODES: tuple[str, ...] = tuple(_REASONS)

#: in SaaS mode, platform-wide contention is reported without naming the platform level.
_SAAS_GENERIC: dict[str, str] = {
    "queued_platform_limit": "queued until runtime capacity is available",
    "rejected_platform_limit": "runtime capacity is exhausted",
}


def user_safe_reason(code: str, *, saas: bool = False) -> str:
    """The sentence shown to users for ``code`` (never names another tenant)."""
    if saas and code in _SAAS_GENERIC:
        return _SAAS_GENERIC[code]
    return _REASONS[code]
