"""Budget gates over the ledger: defaults, task and role limits, an 80 % warning, a preflight.

A violation is ``actual > limit`` (equal passes). Scopes are applied in the reference's
order: ``defaults`` (totals), ``task:<id>`` (totals), then ``role:<role>`` for every role
with usage, plus the estimating role (the caller's, else the task owner's) with zero
usage when it has a budget but no records yet. Only scopes with at least one limit set
are applied. An estimate is added to the totals and to the estimating role's row;
warnings are emitted for every metric the estimate touches once ``actual >= 80 %`` of
its limit in those scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from orchestra.errors import OrchestraError
from orchestra.events import EventLog, NewEvent
from orchestra.ledger.model import BudgetCheckResult, BudgetViolation, BudgetWarning, Metric, UsageBreakdown
from orchestra.ledger.money import parse_usd
from orchestra.ledger.service import LedgerService
from orchestra.security.identifiers import shown_id
from orchestra.store.base import Store, Transaction
from orchestra.tasks.service import TaskNotFoundError
from orchestra.workspace.config import BudgetLimits, Budgets

WARNING_PERCENT = 80
_WARN_FRACTION = Decimal(WARNING_PERCENT) / 100
_LIMITS: tuple[tuple[Metric, str], ...] = (
    ("requests", "max_requests"),
    ("inputTokens", "max_input_tokens"),
    ("outputTokens", "max_output_tokens"),
    ("totalTokens", "max_total_tokens"),
    ("estimatedCostUsd", "max_estimated_cost_usd"),
)


class BudgetExceededError(OrchestraError):
    """The budget preflight found a limit that the call would exceed; nothing was sent."""

    code = "budget_exceeded"


@dataclass(frozen=True, slots=True)
class BudgetEstimate:
    """What a planned call is expected to add."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)

    def touched(self) -> set[Metric]:
        """Metrics this estimate changes."""
        out: set[Metric] = set()
        if self.requests:
            out.add("requests")
        if self.input_tokens:
            out |= {"inputTokens", "totalTokens"}
        if self.output_tokens:
            out |= {"outputTokens", "totalTokens"}
        if self.cost_usd:
            out.add("estimatedCostUsd")
        return out


@dataclass(frozen=True, slots=True)
class _Usage:
    requests: Decimal
    input_tokens: Decimal
    output_tokens: Decimal
    cost: Decimal

    @classmethod
    def of(cls, row: UsageBreakdown | None) -> _Usage:
        if row is None:
            return cls(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
        return cls(Decimal(row.requests), Decimal(row.input_tokens), Decimal(row.output_tokens),
                   row.estimated_cost_usd)

    def plus(self, est: BudgetEstimate) -> _Usage:
        return replace(self, requests=self.requests + est.requests, input_tokens=self.input_tokens + est.input_tokens,
                       output_tokens=self.output_tokens + est.output_tokens, cost=self.cost + est.cost_usd)

    def metric(self, name: Metric) -> Decimal:
        return {
            "requests": self.requests, "inputTokens": self.input_tokens, "outputTokens": self.output_tokens,
            "totalTokens": self.input_tokens + self.output_tokens, "estimatedCostUsd": self.cost,
        }[name]


def _has_limits(limits: BudgetLimits) -> bool:
    return any(getattr(limits, field) is not None for _, field in _LIMITS)


class BudgetService:
    """Checks recorded (plus estimated) usage against the configured budgets."""

    def __init__(self, store: Store, ledger: LedgerService, events: EventLog, budgets: Budgets) -> None:
        self._store = store
        self._ledger = ledger
        self._events = events
        self._budgets = budgets

    def check(self, task_id: str | None = None, estimate_cost_usd: object = None,
              *, role: str | None = None) -> BudgetCheckResult:
        """The budget gate (``budget check [--task] [--estimate-cost]``); bad numbers raise ``invalid_number``."""
        estimate = None if estimate_cost_usd is None else BudgetEstimate(cost_usd=parse_usd(estimate_cost_usd))
        with self._store.read() as tx:
            return self.evaluate(tx, task_id, estimate, role=role)

    def evaluate(self, tx: Transaction, task_id: str | None, estimate: BudgetEstimate | None,
                 *, role: str | None = None) -> BudgetCheckResult:
        """The check inside an open transaction."""
        usage = self._ledger.report_in(tx, task_id)
        owner_role: str | None = None
        if task_id is not None:
            row = tx.fetchone("SELECT owner_role FROM tasks WHERE id = ?", (task_id,))
            if row is None:
                raise TaskNotFoundError(f"unknown task: {shown_id(task_id)}")
            owner_role = row["owner_role"]
        est_role = role or owner_role
        touched = estimate.touched() if estimate is not None else set()
        applied: list[str] = []
        violations: list[BudgetViolation] = []
        warnings: list[BudgetWarning] = []

        def apply(scope: str, limits: BudgetLimits, actual: _Usage, warn: bool) -> None:
            if not _has_limits(limits):
                return
            applied.append(scope)
            for metric, field in _LIMITS:
                raw = getattr(limits, field)
                if raw is None:
                    continue
                limit, value = Decimal(raw), actual.metric(metric)
                if value > limit:
                    violations.append(BudgetViolation(scope=scope, metric=metric, actual=value, limit=limit))
                if warn and metric in touched and value >= limit * _WARN_FRACTION:
                    warnings.append(BudgetWarning(scope=scope, metric=metric, actual=value, limit=limit,
                                                  threshold_percent=WARNING_PERCENT))

        totals = _Usage.of(usage.totals)
        if estimate is not None:
            totals = totals.plus(estimate)
        apply("defaults", self._budgets.defaults, totals, True)
        if task_id is not None and task_id in self._budgets.by_task:
            apply(f"task:{task_id}", self._budgets.by_task[task_id], totals, True)
        rows: dict[str, _Usage] = {b.key: _Usage.of(b) for b in usage.by_role}
        if est_role is not None and est_role not in rows and est_role in self._budgets.by_role:
            rows[est_role] = _Usage.of(None)
        for key, actual in rows.items():
            limits = self._budgets.by_role.get(key)
            if limits is None:
                continue
            is_est = estimate is not None and key == est_role
            apply(f"role:{key}", limits, actual.plus(estimate) if is_est and estimate else actual, is_est)
        return BudgetCheckResult(
            task_id=task_id, passed=not violations, usage=usage,
            estimate_cost_usd=estimate.cost_usd if estimate is not None else None,
            applied_budgets=applied, violations=violations, warnings=warnings,
        )

    def preflight(self, task_id: str, role: str, estimate: BudgetEstimate, *, actor: str) -> BudgetCheckResult:
        """Check before a provider call; a violation records ``BUDGET_PREFLIGHT_BLOCKED`` and raises."""
        with self._store.read() as tx:
            result = self.evaluate(tx, task_id, estimate, role=role)
        if result.passed and not result.warnings:
            return result
        kind = "BLOCKED" if not result.passed else "WARNING"
        findings = result.violations if not result.passed else result.warnings
        self._events.record(NewEvent(
            type=f"BUDGET_PREFLIGHT_{kind}", actor=actor, task_id=task_id,
            summary=f"Budget preflight {kind.lower()} for role {role}",
            metadata={"role": role, "appliedBudgets": result.applied_budgets,
                      "findings": [f.model_dump(mode="json") for f in findings]},
        ))
        if not result.passed:
            raise BudgetExceededError(
                "budget estimate exceeds configured limit; nothing was sent to the provider",
                details={"violations": [v.model_dump(mode="json") for v in result.violations]},
            )
        return result
