"""Provider tools: the public model aliases and one guarded provider call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import InputRequiredResult
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.providers import ChatMessage, Completion, ModelAlias
from orchestra_mcp.annotations import CALLS_MODEL, READ_ONLY
from orchestra_mcp.approvals import with_approval_async
from orchestra_mcp.errors import tool_errors


class AliasList(BaseModel):
    """The public model aliases."""

    aliases: list[ModelAlias]
    default_alias: str = Field(description="The alias used when none is given.")


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the provider tools to ``server``."""

    @server.tool(title="Model aliases", annotations=READ_ONLY)
    def model_aliases() -> AliasList:
        """The model aliases and the provider and model each routes to ('none': server calls are off)."""
        with tool_errors("model_aliases"):
            return AliasList(aliases=app.providers.aliases(), default_alias="default")

    @server.tool(title="Complete with a provider", annotations=CALLS_MODEL)
    async def provider_complete(
        messages: Annotated[list[ChatMessage], Field(description="1-200 messages.")],
        task_id: Annotated[str, Field(description="Task the call serves (usage recorded).",
                                                  max_length=64)],
        role: Annotated[str, Field(description="Your role (role budgets apply).")],
        ctx: Context[Any],
        provider: Annotated[str | None, Field(description="'ollama' or 'fake' (default: the alias's).")] = None,
        model: Annotated[str | None, Field(description="Default: the alias's.")] = None,
        alias: Annotated[str, Field(description="Model alias.")] = "default",
        max_tokens: Annotated[int | None, Field(description="Reply token cap.")] = None,
        temperature: Annotated[float | None, Field(description="Sampling temperature, 0-2.")] = None,
        phase: Annotated[str | None, Field(description="Phase.")] = None,
        session_id: Annotated[str | None, Field(description="Session id.")] = None,
        run_id: Annotated[str | None, Field(description="Run id.")] = None,
        actor: Annotated[str | None, Field(description="Default: the role.")] = None,
        initiated_by: Annotated[Literal["human", "parent_agent", "subagent", "system"] | None, Field(
            description="Who initiated it.")] = None,
    ) -> Completion | InputRequiredResult:
        """Call a model through the guarded path: egress check, budget preflight, bounded retries, ledger
        record. Denials connect nothing."""
        with tool_errors("provider_complete"):
            scope = {"task_id": task_id, "role": role, "phase": phase, "session_id": session_id,
                     "run_id": run_id, "actor": actor, "initiated_by": initiated_by}
            return await with_approval_async(ctx, app, lambda approval: app.providers.complete(
                messages, scope=scope, provider=provider, model=model, alias=alias, max_tokens=max_tokens,
                temperature=temperature, approval=approval))
