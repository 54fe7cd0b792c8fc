"""The provenance ledger: validation, guarding, audit events, exact sums and report breakdowns."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from orchestra.app import Orchestra
from orchestra.errors import OrchestraError, ValidationError
from orchestra.ledger import InvalidNumberError, parse_usd
from orchestra.ledger.service import parse_provenance
from orchestra.store.migrations import LATEST_VERSION
from tests.ledger.support import call

CANARY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXqCANARY"


@pytest.fixture
def tasked(app: Orchestra) -> Orchestra:
    app.tasks.add({"id": "T-1", "title": "one", "owner_role": "developer"})
    app.tasks.add({"id": "T-2", "title": "two"})
    return app


def test_migration_4_creates_an_append_only_ledger(tasked: Orchestra) -> None:
    assert tasked.store.schema_version == LATEST_VERSION >= 4
    tasked.ledger.record(call())
    with pytest.raises(OrchestraError), tasked.store.write() as tx:
        tx.execute("UPDATE ledger SET input_tokens = 99")
    with pytest.raises(OrchestraError), tasked.store.write() as tx:
        tx.execute("DELETE FROM ledger")
    assert tasked.ledger.count() == 1


def test_record_writes_row_and_audit_event(tasked: Orchestra) -> None:
    rec = tasked.ledger.record(call(input_tokens=10, output_tokens=5, estimated_cost_usd="0.25",
                                    usage_source="provider", cost_source="estimated", phase="build"))
    assert rec.id.startswith("prov-") and rec.seq == 1 and rec.estimated_cost_usd == Decimal("0.25")
    events = tasked.events.list(event_type="MODEL_PROVENANCE_RECORDED")
    assert len(events) == 1 and events[0].actor == "developer" and events[0].task_id == "T-1"
    assert events[0].summary == "Model provenance recorded for ollama/llama3.1:8b"
    assert events[0].metadata["estimatedCostUsd"] == "0.25" and events[0].metadata["ledgerId"] == rec.id
    assert tasked.events.verify().ok


@pytest.mark.sqlite_only  # typeof()
def test_money_is_stored_as_integer_nanodollars(tasked: Orchestra) -> None:
    tasked.ledger.record(call(estimated_cost_usd=0.1))
    with tasked.store.read() as tx:
        row = tx.fetchone("SELECT cost_nanousd, typeof(cost_nanousd) AS t FROM ledger")
    assert row is not None and row["cost_nanousd"] == 100_000_000 and row["t"] == "integer"
    with tasked.store.read() as tx:
        types = {r["type"] for r in tx.fetchall("SELECT type FROM pragma_table_info('ledger')")}
    assert "REAL" not in types


def test_unknown_task_and_bad_fields_are_coded_errors(tasked: Orchestra) -> None:
    with pytest.raises(OrchestraError) as caught:
        tasked.ledger.record(call(task_id="NOPE"))
    assert caught.value.code == "task_not_found" and "unknown task: NOPE" in caught.value.message
    for bad in ({"role": "Dev eloper"}, {"model": "x" * 200}, {"prompt_id": ""}, {"initiated_by": "robot"},
                {"extra_field": 1}, {"failed_providers": ["a"] * 17}, {"usage_unavailable_rationale": "x" * 501}):
        with pytest.raises(OrchestraError) as caught:
            tasked.ledger.record(call(**bad))
        assert caught.value.code == "invalid_input", bad
    assert tasked.ledger.count() == 0


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "must be a non-negative number"), ("abc", "invalid number: abc"), ("NaN", "finite"),
    (float("nan"), "finite"), (float("inf"), "finite"), ("1e999999", "at most"), (True, "invalid number"),
])
def test_bad_numbers_raise_invalid_number(tasked: Orchestra, value: object, message: str) -> None:
    with pytest.raises(InvalidNumberError) as caught:
        tasked.ledger.record(call(estimated_cost_usd=value))
    assert caught.value.code == "invalid_number" and message in caught.value.message
    with pytest.raises(InvalidNumberError):
        tasked.ledger.record(call(input_tokens=value))
    with pytest.raises(InvalidNumberError, match="whole number"):
        tasked.ledger.record(call(output_tokens="1.5"))
    assert tasked.ledger.count() == 0


def test_parse_usd_is_exact_and_rounds_to_nanodollars() -> None:
    assert parse_usd(0.1) == Decimal("0.1")
    assert parse_usd("0.0000000015") == Decimal("0.000000002")
    assert parse_usd(3) == Decimal(3)


@pytest.mark.sqlite_only
def test_text_fields_pass_the_guard_before_storage(tasked: Orchestra) -> None:
    before = tasked.events.count()
    with pytest.raises(ValidationError, match="response_id"):  # an id cannot be redacted: it is refused
        tasked.ledger.record(call(response_id=CANARY, actor="agent-7"))
    assert tasked.events.count() == before
    rec = tasked.ledger.record(call(usage_unavailable_rationale=f"key was {CANARY}", actor="agent-7"))
    assert CANARY not in rec.model_dump_json()
    db = sqlite3.connect(tasked.layout.db_path)
    dump = "\n".join(db.iterdump())
    db.close()
    assert CANARY not in dump and "[REDACTED" in dump


def test_a_thousand_small_costs_sum_exactly(tasked: Orchestra) -> None:
    # A thousand is enough for the float drift the original reports (0.001 summed 1,000 times is not 1.0);
    # the count only has to make the drift visible, not load the store.
    values = parse_provenance(call(input_tokens=1, output_tokens=2, estimated_cost_usd="0.001")).model_dump()
    with tasked.store.write() as tx:
        for _ in range(1_000):
            tasked.ledger.append(tx, values)
    report = tasked.ledger.report()
    assert report.totals.estimated_cost_usd == Decimal("1.000")
    assert str(report.totals.estimated_cost_usd) == "1.00"
    assert report.totals.requests == 1_000 and report.totals.total_tokens == 3_000
    assert sum(0.001 for _ in range(1_000)) != 1.0  # the float sum the original would report


def test_report_breakdowns_defaults_and_first_seen_order(tasked: Orchestra) -> None:
    tasked.ledger.record(call(role="reviewer", provider="fake", input_tokens=5, estimated_cost_usd="0.01"))
    tasked.ledger.record(call(input_tokens=10, output_tokens=1, tenant_id="acme", actor="bot",
                              initiated_by="subagent", phase="build", estimated_cost_usd="0.02"))
    tasked.ledger.record(call(task_id="T-2", role="reviewer", output_tokens=3, workspace_id="w1"))
    report = tasked.ledger.report()
    assert [b.key for b in report.by_role] == ["reviewer", "developer"]
    assert [b.key for b in report.by_provider] == ["fake", "ollama"]
    assert [b.key for b in report.by_tenant] == ["local", "acme"]
    assert [b.key for b in report.by_workspace] == ["local", "w1"]
    assert [b.key for b in report.by_actor] == ["reviewer", "bot"]
    assert [b.key for b in report.by_initiator] == ["unknown", "subagent"]
    assert [b.key for b in report.by_phase] == ["unknown", "build"]
    reviewer = report.by_role[0]
    assert (reviewer.requests, reviewer.input_tokens, reviewer.output_tokens, reviewer.total_tokens) == (2, 5, 3, 8)
    assert report.totals.key == "total" and report.totals.estimated_cost_usd == Decimal("0.03")
    only = tasked.ledger.report("T-1")
    assert only.task_id == "T-1" and only.totals.requests == 2
    with pytest.raises(OrchestraError, match="task_not_found"):
        tasked.ledger.report("NOPE")


def test_empty_report(tasked: Orchestra) -> None:
    report = tasked.ledger.report()
    assert report.totals.requests == 0 and report.totals.estimated_cost_usd == Decimal(0)
    assert report.by_role == []
