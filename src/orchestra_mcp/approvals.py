"""The MCP side of approvals: ask the client's user through elicitation, in both protocol eras.

The core decides whether an operation needs a person (it raises ``approval_required`` after recording a
pending request). Here, when the client declared form elicitation and the configuration allows it, the
question goes to the client's user: mid-call with ``elicitation/create`` on the handshake era, or as an
``InputRequiredResult`` the client answers by retrying the call on 2026-07-28 (the SDK seals
``request_state``, so the approval id it carries is the one this server asked about). Accept grants the
request for this session and the operation runs once, consuming it; decline denies it
(``approval_denied``); cancel or no answer in time leaves it pending (``approval_canceled`` /
``approval_required`` with the CLI path). No tool grants an approval: the model cannot answer for the
user, and without elicitation only ``orchestra approve <id>`` at a terminal can.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.approvals import ApprovalCaller, ApprovalRequiredError, ApprovalStateError, CallerApprovals
from orchestra.approvals.service import Answer
from orchestra.runtime.inference import client_runtime
from orchestra_mcp.tools.runtime import client_identity

T = TypeVar("T")
ELICIT_KEY = "orchestra_approval"
MODERN_PREFIX = "2026-"
log = logging.getLogger("orchestra_mcp")


class ApprovalAnswer(BaseModel):
    """What the client's user answers."""

    approve: bool = Field(description="Allow this one operation.")


def approval_caller(ctx: Context[Any, Any]) -> ApprovalCaller:
    """The caller an approval is bound to: the local user through this server process and its client."""
    name, _ = client_identity(ctx)
    return ApprovalCaller.mcp(client_runtime(name) or "generic-runtime")


def can_elicit(ctx: Context[Any, Any], app: Orchestra) -> bool:
    """The configuration allows asking and the client declared form elicitation."""
    if not app.config.approvals.elicitation:
        return False
    try:
        capabilities = ctx.client_capabilities
    except (AttributeError, ValueError):
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _modern(ctx: Context[Any, Any]) -> bool:
    return (ctx.protocol_version or "").startswith(MODERN_PREFIX)


async def with_approval(ctx: Context[Any, Any], app: Orchestra,
                        operation: Callable[[CallerApprovals], T]) -> T | InputRequiredResult:
    """Run ``operation`` (a core call, in a worker thread) with this caller's approval gate; when it needs a
    person and the client can ask one, ask and, on accept, run it again (it then uses the grant)."""
    return await with_approval_async(ctx, app, lambda gate: anyio.to_thread.run_sync(lambda: operation(gate)))


async def with_approval_async(ctx: Context[Any, Any], app: Orchestra,
                              operation: Callable[[CallerApprovals], Awaitable[T]]) -> T | InputRequiredResult:
    """:func:`with_approval` for an async core call."""
    gate = app.approvals.for_caller(approval_caller(ctx))
    await _apply_retry_answer(ctx, app, gate.caller)
    try:
        return await operation(gate)
    except ApprovalRequiredError as exc:
        if not can_elicit(ctx, app):
            raise
        if _modern(ctx):
            return InputRequiredResult(
                input_requests={ELICIT_KEY: ElicitRequest(params=ElicitRequestFormParams(
                    message=exc.prompt, requested_schema=render_elicitation_schema(ApprovalAnswer)))},
                request_state=json.dumps({"approvalId": exc.approval_id}))
        outcome = await _ask(ctx, app, exc)
        if outcome is None:
            raise  # no answer in time: the request stays pending for `orchestra approve`
        approval_id = exc.approval_id
    await anyio.to_thread.run_sync(lambda: app.approvals.answer(approval_id, gate.caller, outcome))
    return await operation(gate)


async def _ask(ctx: Context[Any, Any], app: Orchestra, exc: ApprovalRequiredError) -> Answer | None:
    """The user's answer on the handshake era (accept/decline/cancel), or ``None`` without one in time."""
    with anyio.move_on_after(app.config.approvals.elicitation_timeout_s):
        try:
            result = await ctx.elicit(exc.prompt, ApprovalAnswer)
        except Exception:  # the client failed to answer: leave the request to the CLI
            log.info("elicitation for approval %s failed", exc.approval_id)
            return None
        if isinstance(result, AcceptedElicitation):
            return "accept" if result.data.approve else "decline"
        return "cancel" if isinstance(result, CancelledElicitation) else "decline"
    return None


async def _apply_retry_answer(ctx: Context[Any, Any], app: Orchestra, caller: ApprovalCaller) -> None:
    """On a 2026-07-28 retry, record the answer to the question this server asked (named by the sealed
    ``request_state``)."""
    if not _modern(ctx) or not ctx.request_state or not ctx.input_responses:
        return
    answer = ctx.input_responses.get(ELICIT_KEY)
    try:
        approval_id = str(json.loads(ctx.request_state)["approvalId"])
    except (ValueError, KeyError, TypeError):
        return
    if not isinstance(answer, ElicitResult):
        return
    outcome: Answer = answer.action
    if outcome == "accept" and (answer.content or {}).get("approve") is not True:
        outcome = "decline"
    try:
        await anyio.to_thread.run_sync(lambda: app.approvals.answer(approval_id, caller, outcome))
    except ApprovalStateError:
        log.info("approval %s was no longer pending when the answer came", approval_id)
