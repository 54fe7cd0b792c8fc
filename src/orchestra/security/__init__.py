"""The security guard: detection, redaction, the sink policy engine and provider egress.

Typical use::

    guard = SecurityGuard(workspace_hmac_key)
    decision = guard.guard(text, Sink.TRANSCRIPT)
    if decision.allowed:
        store(decision.text)
"""

from orchestra.security.egress import (
    check_base_url,
    check_provider_egress,
    check_provider_redirect,
    sanitize_provider_error,
)
from orchestra.security.errors import EgressDeniedError, GuardInternalError, PolicyBlockedError
from orchestra.security.guard import SecurityGuard
from orchestra.security.inventory import ALL_RULES, render_rule_table
from orchestra.security.logging_filter import GuardLoggingFilter
from orchestra.security.model import (
    Category,
    EgressDecision,
    Encoding,
    GuardContext,
    GuardDecision,
    Outcome,
    ProviderMessage,
    SanitizedFinding,
    Severity,
    Sink,
)
from orchestra.security.policy import OUTCOME_MATRIX, render_outcome_matrix

__all__ = [
    "ALL_RULES",
    "OUTCOME_MATRIX",
    "Category",
    "EgressDecision",
    "EgressDeniedError",
    "Encoding",
    "GuardContext",
    "GuardDecision",
    "GuardInternalError",
    "GuardLoggingFilter",
    "Outcome",
    "PolicyBlockedError",
    "ProviderMessage",
    "SanitizedFinding",
    "SecurityGuard",
    "Severity",
    "Sink",
    "check_base_url",
    "check_provider_egress",
    "check_provider_redirect",
    "render_outcome_matrix",
    "render_rule_table",
    "sanitize_provider_error",
]
