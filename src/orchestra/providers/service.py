"""The one guarded path for server-made model calls: egress → budget preflight → call → ledger.

``ProviderService.complete`` is what every server feature that talks to a model uses
(``provider_complete`` today, ``chat_respond`` later): nothing reaches the network
before the egress check (restricted content blocks, internal providers private-only)
and the budget preflight both pass, and every attempted call leaves a ledger record.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
from pydantic import ValidationError as PydanticValidationError

from orchestra.approvals.gate import CallerApprovals
from orchestra.errors import ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.ledger.budgets import BudgetEstimate, BudgetService
from orchestra.ledger.service import LedgerService
from orchestra.providers.aliases import ModelAlias, list_aliases, resolve_alias
from orchestra.providers.approved_egress import approvable, approved_messages
from orchestra.providers.base import ModelProvider
from orchestra.providers.errors import ProviderError
from orchestra.providers.model import MAX_MESSAGES, MAX_TOTAL_CHARS, CallScope, ChatMessage, Completion
from orchestra.providers.model import ProviderRequest as Request
from orchestra.providers.registry import build_provider
from orchestra.providers.tokens import estimate_messages, estimate_tokens
from orchestra.security.egress import (
    IPNetwork,
    ProviderIdError,
    check_provider_egress,
    normalize_provider_id,
    parse_link_local_allowlist,
)
from orchestra.security.errors import EgressDeniedError, PolicyBlockedError
from orchestra.security.guard import SecurityGuard
from orchestra.security.identifiers import check_identifier, shown_id
from orchestra.security.model import EgressDecision, Sink
from orchestra.security.opaque_ids import opaque_id
from orchestra.validation import describe_validation_error
from orchestra.workspace.config import ProviderDefaults, Providers

log = logging.getLogger("orchestra.providers")

ProviderFactory = Callable[[str, ProviderDefaults, Mapping[str, str]], ModelProvider]
MAX_TOKENS_LIMIT = 1_000_000
MAX_MODEL_CHARS = 128


class ProviderService:
    """Resolves aliases and runs guarded provider calls for one workspace."""

    def __init__(
        self,
        providers: Providers,
        guard: SecurityGuard,
        ledger: LedgerService,
        budgets: BudgetService,
        events: EventLog,
        *,
        env: Mapping[str, str] | None = None,
        factory: ProviderFactory = build_provider,
    ) -> None:
        self._providers = providers
        self._guard = guard
        self._ledger = ledger
        self._budgets = budgets
        self._events = events
        self._env = env
        self._factory = factory
        self._link_local_allow = parse_link_local_allowlist(providers.link_local_allowlist)

    @property
    def link_local_allow(self) -> tuple[IPNetwork, ...]:
        """The operator's link-local allowlist for internal providers (``providers.linkLocalAllowlist``)."""
        return self._link_local_allow

    def aliases(self) -> list[ModelAlias]:
        """The public model aliases and their routing."""
        return list_aliases(self._providers)

    def resolve(self, alias: str = "default") -> ProviderDefaults:
        """The provider settings an alias routes to."""
        return resolve_alias(self._providers, alias)

    async def complete(
        self,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        scope: CallScope | Mapping[str, Any],
        provider: str | None = None,
        model: str | None = None,
        alias: str = "default",
        max_tokens: int | None = None,
        temperature: float | None = None,
        history: bool = False,
        approval: CallerApprovals | None = None,
    ) -> Completion:
        """Run one call through egress, budget preflight, the provider and the ledger.

        ``history``: the messages are a stored conversation sent as data (``Sink.PROVIDER_HISTORY``).
        ``approval`` (an MCP caller): messages the guard quarantined (not blocked) may go once a person
        approved this exact call (:mod:`orchestra.providers.approved_egress`).
        """
        msgs, call_scope = _parse_messages(messages), _parse_scope(scope)
        settings = self.resolve(check_identifier(alias, "alias"))
        try:
            provider_id = check_identifier(normalize_provider_id(provider or settings.provider), "provider")
        except ProviderIdError:
            raise ValidationError("provider must be a plain provider id such as 'ollama'") from None
        model_id = check_identifier(_model_for(provider_id, model, settings), "model")
        if not model_id or len(model_id) > MAX_MODEL_CHARS or any(c.isspace() or not c.isprintable() for c in model_id):
            raise ValidationError(f"model must be 1-{MAX_MODEL_CHARS} printable characters without spaces")
        limit = max_tokens if max_tokens is not None else (settings.max_tokens or None)
        if limit is not None and not 1 <= limit <= MAX_TOKENS_LIMIT:
            raise ValidationError(f"max_tokens must be between 1 and {MAX_TOKENS_LIMIT}")
        if temperature is not None and not 0 <= temperature <= 2:
            raise ValidationError("temperature must be between 0 and 2")
        adapter = self._factory(provider_id, settings, self._env if self._env is not None else os.environ)
        actor = call_scope.actor or call_scope.role

        decision = await anyio.to_thread.run_sync(lambda: check_provider_egress(  # the guard is CPU work
            adapter.id, adapter.base_url, [m.model_dump() for m in msgs], guard=self._guard,
            request_id=call_scope.request_id, link_local_allow=self._link_local_allow,
            sink=Sink.PROVIDER_HISTORY if history else Sink.PROVIDER))
        outgoing = decision.messages if decision.allowed else None
        if outgoing is None and approval is not None and approvable(decision):
            outgoing = await anyio.to_thread.run_sync(lambda: approved_messages(
                self._guard, approval, decision, msgs, provider=adapter.id, model=model_id, history=history,
                task_id=call_scope.task_id, role=call_scope.role))
        if outgoing is None:
            await anyio.to_thread.run_sync(self._record_egress_block, decision, call_scope, actor)
            raise EgressDeniedError(
                "provider egress blocked by policy before provider execution",
                details={"decision_id": decision.decision_id, "outcome": decision.outcome.value,
                         "reasons": decision.reasons, "rules": sorted({f.rule_id for f in decision.findings})},
            )
        estimate = BudgetEstimate(requests=1, input_tokens=estimate_messages(m.content for m in outgoing))
        budget = await anyio.to_thread.run_sync(
            lambda: self._budgets.preflight(call_scope.task_id, call_scope.role, estimate, actor=actor))

        request = Request(model=model_id, messages=tuple(outgoing), base_url=decision.normalized_base_url,
                          max_tokens=limit, temperature=temperature)
        prompt_id = call_scope.prompt_id or opaque_id("prompt-", 8)
        base = _ledger_base(call_scope, adapter.id, model_id, prompt_id)
        try:
            reply = await adapter.complete(request)
        except ProviderError as exc:
            await anyio.to_thread.run_sync(self._record_failure, base, exc)
            raise
        reported = reply.input_tokens is not None and reply.output_tokens is not None
        input_tokens = reply.input_tokens if reply.input_tokens is not None else estimate.input_tokens
        output_tokens = reply.output_tokens if reply.output_tokens is not None else estimate_tokens(reply.content)
        response_id = reply.response_id or opaque_id("resp-", 8)
        cost_source = "not_billed" if not adapter.billed else "unavailable"
        record = await anyio.to_thread.run_sync(self._ledger.record, {
            **base, "model": reply.model, "response_id": response_id, "finish_reason": reply.finish_reason,
            "input_tokens": input_tokens, "output_tokens": output_tokens,
            "estimated_cost_usd": None if adapter.billed else "0",
            "usage_source": "provider" if reported else "estimated", "cost_source": cost_source,
            "usage_unavailable_rationale": None if reported else "provider response did not report usage; "
                                                                 "estimated at four characters per token",
            "cost_unavailable_rationale": None if not adapter.billed else "no price table for this provider",
            "final_provider": adapter.id, "final_model": reply.model,
        })
        shown = self._guard.guard(reply.content, Sink.PUBLIC_RESPONSE)
        if shown.text is None:
            raise PolicyBlockedError("the provider reply was not allowed to reach the caller",
                                     details={"decision_id": shown.decision_id, "ledger_id": record.id})
        return Completion(
            content=shown.text, provider=adapter.id, model=reply.model, finish_reason=reply.finish_reason,
            response_id=record.response_id, prompt_id=record.prompt_id, input_tokens=input_tokens,
            output_tokens=output_tokens, total_tokens=input_tokens + output_tokens,
            estimated_cost_usd=record.estimated_cost_usd, usage_source="provider" if reported else "estimated",
            cost_source=cost_source, attempts=reply.attempts, ledger_id=record.id,
            egress_decision_id=decision.decision_id, egress_reasons=decision.reasons,
            budget_warnings=budget.warnings, content_redactions=shown.redaction_count,
        )

    def _record_egress_block(self, decision: EgressDecision, scope: CallScope, actor: str) -> None:
        self._events.record(NewEvent(
            type="PROVIDER_EGRESS_BLOCKED", actor=actor, task_id=scope.task_id,
            summary=f"Provider egress to {decision.provider_id} blocked before provider execution",
            metadata={"decisionId": decision.decision_id, "provider": decision.provider_id,
                      "outcome": decision.outcome.value, "reasons": decision.reasons,
                      "rules": sorted({f.rule_id for f in decision.findings}), "role": scope.role},
        ))

    def _record_failure(self, base: dict[str, Any], exc: ProviderError) -> None:
        """A failed attempt still counts as a request; tokens and cost are unknown, not invented."""
        try:
            self._ledger.record({
                **base, "response_id": opaque_id("failed-", 8), "finish_reason": "error",
                "usage_source": "unavailable", "cost_source": "unavailable",
                "usage_unavailable_rationale": f"provider call failed: {exc.code}",
                "cost_unavailable_rationale": f"provider call failed: {exc.code}",
                "failed_providers": [base["provider"]],
            })
        except Exception:
            log.exception("could not record the failed provider call in the ledger")


def _ledger_base(scope: CallScope, provider: str, model: str, prompt_id: str) -> dict[str, Any]:
    return {
        "task_id": scope.task_id, "role": scope.role, "provider": provider, "model": model,
        "prompt_id": prompt_id, "request_id": scope.request_id, "tenant_id": scope.tenant_id,
        "workspace_id": scope.workspace_id, "session_id": scope.session_id, "run_id": scope.run_id,
        "phase": scope.phase, "actor": scope.actor, "initiated_by": scope.initiated_by,
    }


def _model_for(provider_id: str, model: str | None, settings: ProviderDefaults) -> str:
    if model is not None:
        return model
    if provider_id == settings.provider.strip().lower():
        return settings.model
    if provider_id == "fake":
        return "fake-model"
    raise ValidationError(f"model is required when the provider ({shown_id(provider_id)}) is not the configured "
                          "default")


def _parse_messages(messages: Sequence[ChatMessage | Mapping[str, Any]]) -> list[ChatMessage]:
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise ValidationError(f"messages must hold between 1 and {MAX_MESSAGES} entries")
    try:
        parsed = [m if isinstance(m, ChatMessage) else ChatMessage.model_validate(m) for m in messages]
    except PydanticValidationError as exc:
        raise ValidationError(describe_validation_error(exc, "message")) from None
    if sum(len(m.content) for m in parsed) > MAX_TOTAL_CHARS:
        raise ValidationError(f"messages hold more than {MAX_TOTAL_CHARS} characters in total")
    return parsed


def _parse_scope(scope: CallScope | Mapping[str, Any]) -> CallScope:
    if isinstance(scope, CallScope):
        return scope
    try:
        return CallScope.model_validate(dict(scope))
    except PydanticValidationError as exc:
        raise ValidationError(describe_validation_error(exc, "call scope")) from None
