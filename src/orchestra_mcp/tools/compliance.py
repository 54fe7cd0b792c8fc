"""Compliance tools (opt-in group): restricted-fragment shadows, restore with an operator's grant, shred."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import InputRequiredResult
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.fragments import CryptoShredResult, FragmentPage, LifecycleStatus, RestoreResult, mcp_caller
from orchestra_mcp.annotations import CREATES, DESTRUCTIVE, READ_ONLY
from orchestra_mcp.approvals import with_approval
from orchestra_mcp.errors import tool_errors

FragmentIdParam = Annotated[str, Field(description="The fragment id (fragment-...).", max_length=128)]


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the compliance tools to ``server``."""

    @server.tool(title="List restricted fragments", annotations=READ_ONLY)
    async def fragment_list(
        thread_id: Annotated[str | None, Field(description="Only this chat thread.", max_length=128)] = None,
        task_id: Annotated[str | None, Field(description="Only this task.", max_length=128)] = None,
        status: Annotated[LifecycleStatus | None, Field(description="Only this lifecycle status.")] = None,
        after: Annotated[str | None, Field(description="next_after of the previous page.", max_length=128)] = None,
        limit: Annotated[int, Field(description="Page size, 1-200.", ge=1, le=200)] = 50,
    ) -> FragmentPage:
        """Shadows of retained restricted values (category, rule, marker, policy, lifecycle); never values."""
        with tool_errors("fragment_list"):
            return await anyio.to_thread.run_sync(lambda: app.fragments.list_fragments(
                thread_id=thread_id, task_id=task_id, status=status.value if status else None, after=after,
                limit=limit))

    @server.tool(title="Restore a restricted fragment", annotations=CREATES)
    async def fragment_restore(
        fragment_id: FragmentIdParam,
        reason: Annotated[str, Field(description="Why (legal basis or break-glass reason).", max_length=500)],
        grant_id: Annotated[str | None, Field(description="The grant an operator issued with 'orchestra fragments "
                                                          "grant <id>' (single use).", max_length=100)] = None,
    ) -> RestoreResult:
        """Denied by default: needs an operator's grant, a reason and a policy allowing it; status names the
        failed precondition. Audited."""
        with tool_errors("fragment_restore"):
            return await anyio.to_thread.run_sync(lambda: app.fragments.restore(
                fragment_id, reason=reason, principal=mcp_caller(), grant_id=grant_id))

    @server.tool(title="Crypto-shred a restricted fragment", annotations=DESTRUCTIVE)
    async def fragment_shred(
        fragment_id: FragmentIdParam,
        reason_code: Annotated[str, Field(description="Why, e.g. 'gdpr_erasure' (1-64 of A-Z a-z 0-9 _ -).",
                                          max_length=64)],
        ctx: Context[Any],
    ) -> CryptoShredResult | InputRequiredResult:
        """Destroy a fragment for good (ciphertext, wrapped key, key version); refused under legal hold."""
        with tool_errors("fragment_shred"):
            return await with_approval(ctx, app, lambda approval: app.fragments.shred(
                fragment_id, actor="mcp", reason_code=reason_code, approval=approval))
