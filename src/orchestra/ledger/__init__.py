"""Provenance ledger, usage reports and budget gates."""

from orchestra.ledger.budgets import BudgetEstimate, BudgetExceededError, BudgetService
from orchestra.ledger.model import (
    BudgetCheckResult,
    BudgetViolation,
    BudgetWarning,
    ProvenanceInput,
    ProvenanceRecord,
    UsageBreakdown,
    UsageReport,
)
from orchestra.ledger.money import InvalidNumberError, from_nanos, parse_usd, to_nanos
from orchestra.ledger.service import LedgerService

__all__ = [
    "BudgetCheckResult",
    "BudgetEstimate",
    "BudgetExceededError",
    "BudgetService",
    "BudgetViolation",
    "BudgetWarning",
    "InvalidNumberError",
    "LedgerService",
    "ProvenanceInput",
    "ProvenanceRecord",
    "UsageBreakdown",
    "UsageReport",
    "from_nanos",
    "parse_usd",
    "to_nanos",
]
