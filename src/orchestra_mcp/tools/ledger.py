"""Ledger tools: record a model call made outside the server, report usage, check budgets."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.ledger import BudgetCheckResult, ProvenanceRecord, UsageReport
from orchestra_mcp.annotations import IDEMPOTENT, READ_ONLY
from orchestra_mcp.errors import tool_errors

Number = float | str


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the ledger tools to ``server``."""

    @server.tool(title="Record model usage", annotations=IDEMPOTENT)
    def usage_record(
        task_id: Annotated[str, Field(description="Task the call served (must exist).", max_length=64)],
        role: Annotated[str, Field(description="Role that made the call, e.g. 'developer'.", max_length=64)],
        provider: Annotated[str, Field(description="e.g. 'anthropic', 'ollama'.", max_length=128)],
        model: Annotated[str, Field(description="Model id.", max_length=128)],
        input_tokens: Annotated[int | str | None, Field(description="Prompt tokens, >= 0.")] = None,
        output_tokens: Annotated[int | str | None, Field(description="Completion tokens, >= 0.")] = None,
        estimated_cost_usd: Annotated[Number | None, Field(
            description="USD >= 0 ('0.0042' kept exact); absent: unknown (null).")] = None,
        finish_reason: Annotated[str, Field(description="stop, length, tool_call or error.", max_length=48)] = "stop",
        usage_source: Annotated[str | None, Field(description="provider, estimated or unavailable.",
                                                  max_length=48)] = None,
        cost_source: Annotated[str | None, Field(description="provider, estimated, not_billed or unavailable.",
                                                 max_length=48)] = None,
        usage_unavailable_rationale: Annotated[str | None, Field(description="Why tokens are unknown.",
                                                                 max_length=500)] = None,
        cost_unavailable_rationale: Annotated[str | None, Field(description="Why the cost is unknown.",
                                                                max_length=500)] = None,
        idempotency_key: Annotated[str | None, Field(
            description="A retry with the same key and body returns the same record.", max_length=180)] = None,
        prompt_id: Annotated[str | None, Field(description="Provider prompt id (default: made).",
                                               max_length=180)] = None,
        response_id: Annotated[str | None, Field(description="Provider response id (default: made).",
                                                 max_length=180)] = None,
        request_id: Annotated[str | None, Field(description="Provider request id.", max_length=180)] = None,
        session_id: Annotated[str | None, Field(description="Session id.", max_length=180)] = None,
        run_id: Annotated[str | None, Field(description="Run id.", max_length=180)] = None,
        phase: Annotated[str | None, Field(description="Phase.", max_length=128)] = None,
        actor: Annotated[str | None, Field(description="Who acted (default: the role).", max_length=128)] = None,
        initiated_by: Annotated[Literal["human", "parent_agent", "subagent", "system"] | None, Field(
            description="Who initiated it.")] = None,
    ) -> ProvenanceRecord:
        """Record a model call you made outside this server (text fields guarded; append-only, audited).
        Unknown tokens or cost stay unavailable/null, never 0."""
        with tool_errors("usage_record"):
            given = {"input_tokens": input_tokens, "output_tokens": output_tokens}
            return app.ledger.record({k: v for k, v in {
                "task_id": task_id, "role": role, "provider": provider, "model": model, "prompt_id": prompt_id,
                "response_id": response_id, "finish_reason": finish_reason, **given,
                "estimated_cost_usd": estimated_cost_usd, "usage_source": usage_source, "cost_source": cost_source,
                "usage_unavailable_rationale": usage_unavailable_rationale,
                "cost_unavailable_rationale": cost_unavailable_rationale,
                "request_id": request_id,
                "session_id": session_id, "run_id": run_id, "phase": phase, "actor": actor,
                "initiated_by": initiated_by, "idempotency_key": idempotency_key,
            }.items() if v is not None or k == "estimated_cost_usd"})

    @server.tool(title="Usage report", annotations=READ_ONLY)
    def usage_report(
        task_id: Annotated[str | None, Field(description="Only this task (default: all).",
                                             max_length=64)] = None,
    ) -> UsageReport:
        """Usage totals (requests, tokens, exact USD) and breakdowns by role, provider, tenant, workspace,
        actor, initiator and phase."""
        with tool_errors("usage_report"):
            return app.ledger.report(task_id)

    @server.tool(title="Check budgets", annotations=READ_ONLY)
    def budget_check(
        task_id: Annotated[str | None, Field(description="This task and its role's budgets (default: all).",
                                                         max_length=64)] = None,
        estimate_cost_usd: Annotated[Number | None, Field(
            description="USD of the call you are about to make, added before checking.")
        ] = None,
    ) -> BudgetCheckResult:
        """Check usage (plus an estimate) against the budgets; passed=false lists violations, limits at 80 %
        are warnings. Call before an expensive model call."""
        with tool_errors("budget_check"):
            return app.budgets.check(task_id, estimate_cost_usd)
