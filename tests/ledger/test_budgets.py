"""Budget gates: scopes, strict violations, the 80 % warning, coded number errors, the preflight."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestra.errors import OrchestraError
from orchestra.ledger import BudgetEstimate, BudgetExceededError, InvalidNumberError
from tests.ledger.conftest import OpenApp
from tests.ledger.support import call

REFERENCE = {"budgets": {"defaults": {"maxEstimatedCostUsd": 0.3},
                         "byRole": {"developer": {"maxTotalTokens": 100}}}}


def test_reference_example(open_app: OpenApp) -> None:
    app = open_app(REFERENCE)
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer"})
    app.ledger.record(call(input_tokens=100, output_tokens=50, estimated_cost_usd="0.25"))
    result = app.budgets.check("T-1")
    assert result.passed is False
    assert result.applied_budgets == ["defaults", "role:developer"]
    assert [(v.scope, v.metric, v.actual, v.limit) for v in result.violations] == [
        ("role:developer", "totalTokens", Decimal(150), Decimal(100))]
    assert result.warnings == []
    with_estimate = app.budgets.check("T-1", "0.05")
    assert [(w.scope, w.metric, w.actual, w.limit, w.threshold_percent) for w in with_estimate.warnings] == [
        ("defaults", "estimatedCostUsd", Decimal("0.30"), Decimal("0.3"), 80)]
    assert not any(v.metric == "estimatedCostUsd" for v in with_estimate.violations), "equal passes"
    over = app.budgets.check("T-1", 0.06)
    assert any(v.scope == "defaults" and v.metric == "estimatedCostUsd" for v in over.violations)


def test_no_budgets_passes_and_applies_nothing(open_app: OpenApp) -> None:
    app = open_app({})
    app.tasks.add({"id": "T-1", "title": "t"})
    app.ledger.record(call(input_tokens=10**9))
    result = app.budgets.check()
    assert result.passed and result.applied_budgets == [] and result.usage.totals.input_tokens == 10**9


def test_task_scope_and_owner_role_without_usage(open_app: OpenApp) -> None:
    app = open_app({"budgets": {"byTask": {"T-1": {"maxRequests": 1}},
                                "byRole": {"lead": {"maxEstimatedCostUsd": "1"}}}})
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "lead"})
    app.ledger.record(call())
    app.ledger.record(call())
    result = app.budgets.check("T-1", "0.9")
    assert result.applied_budgets == ["task:T-1", "role:lead"]
    assert [(v.scope, v.metric) for v in result.violations] == [("task:T-1", "requests")]
    assert [(w.scope, w.actual) for w in result.warnings] == [("role:lead", Decimal("0.9"))]
    assert app.budgets.check().applied_budgets == [], "task budgets apply only with the task"


@pytest.mark.parametrize(("value", "message"), [
    (-1, "estimated cost must be a non-negative number"), ("abc", "invalid number: abc"),
    (float("nan"), "finite"), ("NaN", "finite"), ("", "invalid number"), ([1], "must be a number"),
])
def test_bad_estimates(open_app: OpenApp, value: object, message: str) -> None:
    app = open_app({})
    with pytest.raises(InvalidNumberError) as caught:
        app.budgets.check(None, value)
    assert caught.value.code == "invalid_number" and message in caught.value.message


def test_unknown_task(open_app: OpenApp) -> None:
    app = open_app({})
    with pytest.raises(OrchestraError, match="task_not_found"):
        app.budgets.check("NOPE")


def test_preflight_counts_the_pending_request_and_audits(open_app: OpenApp) -> None:
    app = open_app({"budgets": {"byRole": {"developer": {"maxRequests": 2}}}})
    app.tasks.add({"id": "T-1", "title": "t"})
    app.ledger.record(call())
    warned = app.budgets.preflight("T-1", "developer", BudgetEstimate(requests=1), actor="developer")
    assert warned.passed and [w.metric for w in warned.warnings] == ["requests"]
    app.ledger.record(call())
    with pytest.raises(BudgetExceededError) as caught:
        app.budgets.preflight("T-1", "developer", BudgetEstimate(requests=1), actor="developer")
    assert caught.value.code == "budget_exceeded"
    assert caught.value.details["violations"][0]["scope"] == "role:developer"
    types = [e.type for e in app.events.list()]
    assert "BUDGET_PREFLIGHT_WARNING" in types and "BUDGET_PREFLIGHT_BLOCKED" in types
    assert app.budgets.check("T-1").passed, "without the pending call, 2 of 2 passes"
