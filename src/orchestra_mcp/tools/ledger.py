"""Ledger tools: record a model call made outside the server, report usage, check budgets."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.ledger import BudgetCheckResult, ProvenanceRecord, UsageReport
from orchestra_mcp.annotations import CREATES, READ_ONLY
from orchestra_mcp.errors import tool_errors

Number = float | str
_ID = "Id: a letter or digit, then letters, digits or . _ : @ / + = - (up to 180 characters)."


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the ledger tools to ``server``."""

    @server.tool(title="Record model usage", annotations=CREATES)
    def usage_record(
        task_id: Annotated[str, Field(description="The task the model call served (must exist).", max_length=64)],
        role: Annotated[str, Field(description="Role that made the call, lowercase, e.g. 'developer'.")],
        provider: Annotated[str, Field(description="Provider id, e.g. 'anthropic', 'ollama'.")],
        model: Annotated[str, Field(description="Model id as the provider names it.")],
        prompt_id: Annotated[str, Field(description="Id of the prompt sent. " + _ID)],
        response_id: Annotated[str, Field(description="Id of the response received. " + _ID)],
        finish_reason: Annotated[str, Field(description="Why generation stopped: stop, length, tool_call, "
                                                        "error (lowercase word).")] = "stop",
        input_tokens: Annotated[int | str, Field(description="Prompt tokens, a whole number >= 0.")] = 0,
        output_tokens: Annotated[int | str, Field(description="Completion tokens, a whole number >= 0.")] = 0,
        estimated_cost_usd: Annotated[Number, Field(
            description="Estimated cost in USD, >= 0; a decimal string such as '0.0042' is kept exact.")] = 0,
        usage_source: Annotated[str | None, Field(description="Where the token counts came from: provider, "
                                                              "estimated or unavailable.")] = None,
        cost_source: Annotated[str | None, Field(description="Where the cost came from: provider, estimated, "
                                                             "not_billed or unavailable.")] = None,
        usage_unavailable_rationale: Annotated[str | None, Field(
            description="Why usage is unavailable (up to 500 characters).")] = None,
        cost_unavailable_rationale: Annotated[str | None, Field(
            description="Why cost is unavailable (up to 500 characters).")] = None,
        request_id: Annotated[str | None, Field(description="Provider request id, if any.")] = None,
        tenant_id: Annotated[str | None, Field(description="Tenant scope; reports use 'local' when absent.")] = None,
        workspace_id: Annotated[str | None, Field(
            description="Workspace scope; reports use 'local' when absent.")] = None,
        session_id: Annotated[str | None, Field(description="Delegated session id, if any.")] = None,
        run_id: Annotated[str | None, Field(description="Workflow run id, if any.")] = None,
        phase: Annotated[str | None, Field(description="Workflow phase; reports use 'unknown' when absent.")] = None,
        actor: Annotated[str | None, Field(description="Who acted; reports use the role when absent.")] = None,
        initiated_by: Annotated[Literal["human", "parent_agent", "subagent", "system"] | None, Field(
            description="Who initiated the call; reports use 'unknown' when absent.")] = None,
        fallback_used: Annotated[bool, Field(description="True when a fallback provider answered.")] = False,
        failed_providers: Annotated[list[str] | None, Field(
            description="Providers that failed before the final one (up to 16).")] = None,
        final_provider: Annotated[str | None, Field(description="Provider that produced the response.")] = None,
        final_model: Annotated[str | None, Field(description="Model that produced the response.")] = None,
    ) -> ProvenanceRecord:
        """Record one model call you made outside this server (calls made by provider_complete record
        themselves). Every text field passes the security guard before storage (secrets are redacted);
        the record is append-only and audited as MODEL_PROVENANCE_RECORDED. Bad numbers fail with
        invalid_number, an unknown task with task_not_found; nothing is written then."""
        with tool_errors("usage_record"):
            return app.ledger.record({
                "task_id": task_id, "role": role, "provider": provider, "model": model, "prompt_id": prompt_id,
                "response_id": response_id, "finish_reason": finish_reason, "input_tokens": input_tokens,
                "output_tokens": output_tokens, "estimated_cost_usd": estimated_cost_usd,
                "usage_source": usage_source, "cost_source": cost_source,
                "usage_unavailable_rationale": usage_unavailable_rationale,
                "cost_unavailable_rationale": cost_unavailable_rationale, "request_id": request_id,
                "tenant_id": tenant_id, "workspace_id": workspace_id, "session_id": session_id, "run_id": run_id,
                "phase": phase, "actor": actor, "initiated_by": initiated_by, "fallback_used": fallback_used,
                "failed_providers": failed_providers or [], "final_provider": final_provider,
                "final_model": final_model,
            })

    @server.tool(title="Usage report", annotations=READ_ONLY)
    def usage_report(
        task_id: Annotated[str | None, Field(description="Only this task's usage; all tasks when omitted.",
                                             max_length=64)] = None,
    ) -> UsageReport:
        """Model usage totals (requests, input/output/total tokens, exact estimated cost in USD) and
        breakdowns by role, provider, tenant, workspace, actor, initiator and phase, in first-seen order.
        Read-only."""
        with tool_errors("usage_report"):
            return app.ledger.report(task_id)

    @server.tool(title="Check budgets", annotations=READ_ONLY)
    def budget_check(
        task_id: Annotated[str | None, Field(description="Check this task's usage (and its task and owner-role "
                                                         "budgets); all usage when omitted.", max_length=64)] = None,
        estimate_cost_usd: Annotated[Number | None, Field(
            description="Cost in USD of the call you are about to make, >= 0 (decimal string or number): it is "
                        "added before checking, and limits reached to 80 % or more are returned as warnings.")
        ] = None,
    ) -> BudgetCheckResult:
        """Check recorded usage (plus an optional estimate) against the configured budgets (defaults,
        byTask, byRole: requests, input/output/total tokens, estimated cost). passed=false lists each
        violation (actual > limit). Call before an expensive model call. Read-only."""
        with tool_errors("budget_check"):
            return app.budgets.check(task_id, estimate_cost_usd)
