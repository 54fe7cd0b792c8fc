"""Provider tools: the public model aliases and one guarded provider call."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.providers import ChatMessage, Completion, ModelAlias
from orchestra_mcp.annotations import CALLS_MODEL, READ_ONLY
from orchestra_mcp.errors import tool_errors


class AliasList(BaseModel):
    """The public model aliases."""

    aliases: list[ModelAlias]
    default_alias: str = Field(description="The alias used when none is given.")


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the provider tools to ``server``."""

    @server.tool(title="Model aliases", annotations=READ_ONLY)
    def model_aliases() -> AliasList:
        """The public model aliases (today exactly one, 'default') and the provider and model each routes
        to (providers.defaults in config.json; provider 'none' means server-side calls are disabled).
        Read-only."""
        with tool_errors("model_aliases"):
            return AliasList(aliases=app.providers.aliases(), default_alias="default")

    @server.tool(title="Complete with a provider", annotations=CALLS_MODEL)
    async def provider_complete(
        messages: Annotated[list[ChatMessage], Field(description="The conversation to complete (1-200 messages).")],
        task_id: Annotated[str, Field(description="Task the call serves (must exist); usage is recorded against "
                                                  "it.", max_length=64)],
        role: Annotated[str, Field(description="Role making the call, lowercase, e.g. 'developer'; role "
                                               "budgets apply.")],
        provider: Annotated[str | None, Field(description="'ollama' or 'fake'; the alias's provider when "
                                                          "omitted.")] = None,
        model: Annotated[str | None, Field(description="Model id; the alias's model when omitted.")] = None,
        alias: Annotated[str, Field(description="Public model alias to route through.")] = "default",
        max_tokens: Annotated[int | None, Field(description="Cap on reply tokens (1-1,000,000).")] = None,
        temperature: Annotated[float | None, Field(description="Sampling temperature, 0-2.")] = None,
        phase: Annotated[str | None, Field(description="Workflow phase, for the usage report.")] = None,
        session_id: Annotated[str | None, Field(description="Delegated session id, if any.")] = None,
        run_id: Annotated[str | None, Field(description="Workflow run id, if any.")] = None,
        actor: Annotated[str | None, Field(description="Who is acting (defaults to the role).")] = None,
        initiated_by: Annotated[Literal["human", "parent_agent", "subagent", "system"] | None, Field(
            description="Who initiated the call.")] = None,
    ) -> Completion:
        """Send messages to a model through the guarded path: the egress check first (restricted data
        such as secrets blocks the call; Ollama only on loopback/private addresses), then the budget
        preflight, then the HTTP call (bounded retries on timeouts and 5xx), then a ledger record. A
        denial (provider_egress_denied, budget_exceeded) happens before any network connection. The reply
        passes the guard before it is returned."""
        with tool_errors("provider_complete"):
            scope = {"task_id": task_id, "role": role, "phase": phase, "session_id": session_id,
                     "run_id": run_id, "actor": actor, "initiated_by": initiated_by}
            return await app.providers.complete(messages, scope=scope, provider=provider, model=model,
                                                alias=alias, max_tokens=max_tokens, temperature=temperature)
