"""Errors of the security guard (stable codes)."""

from __future__ import annotations

from orchestra.errors import OrchestraError


class GuardInternalError(OrchestraError):
    """The guard failed; the content was treated as blocked."""

    code = "guard_internal_error"


class PolicyBlockedError(OrchestraError):
    """The guard did not let the content pass (block, quarantine or approval required)."""

    code = "policy_blocked"


class EgressDeniedError(OrchestraError):
    """Provider egress was refused (base URL or message content)."""

    code = "provider_egress_denied"
