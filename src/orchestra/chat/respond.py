"""``chat_respond``: answer a thread with a model, through the guarded provider path.

The conversation is built from the thread as stored (already redacted). Its messages are data, not
instructions: each reaches the provider wrapped as untrusted data (``Sink.PROVIDER_HISTORY``), so
engineering text (URLs, SQL, shell) passes, restricted data is redacted, and a message the guard
reads as prompt injection is left out (listed in the result) instead of failing the thread.
``ProviderService.complete`` then runs the egress check, budget preflight, the call and the ledger
record; the reply is stored as a ``provider_agent`` message with its provenance.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from pydantic import BaseModel, Field

from orchestra.chat.model import AppendResult, ChatMessage
from orchestra.chat.records import ChatScope
from orchestra.chat.service import ChatService
from orchestra.chat.views import AppendView, append_view
from orchestra.errors import ValidationError
from orchestra.providers.model import CallScope, Completion
from orchestra.providers.model import ChatMessage as ProviderMessage
from orchestra.providers.service import ProviderService
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Outcome, Sink
from orchestra.validation import parse_model

MAX_HISTORY_MESSAGES = 200
MAX_HISTORY_CHARS = 150_000
ROLE_BY_ACTOR = {"human": "user", "parent_agent": "user", "subagent": "user", "reviewer": "user",
                 "provider_agent": "assistant", "system": "system"}


class LeftOut(BaseModel):
    """A thread message not sent to the model."""

    message_id: str
    sequence: int | None = None
    reason: str = Field(description="e.g. prompt_injection_quarantined.")


class ChatResponse(BaseModel):
    """The stored reply and the provider call behind it."""

    reply: AppendResult
    completion: Completion
    history_messages: int = Field(description="Thread messages sent to the model (most recent first kept).")
    history_truncated: bool = Field(description="True when older messages were left out to fit the limits.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Messages the guard kept from the model.")


class ChatReply(BaseModel):
    """A chat_respond result: the stored reply (compact) and the call behind it."""

    reply: AppendView
    completion: Completion
    history_messages: int = Field(description="Thread messages sent to the model.")
    history_truncated: bool = Field(False, description="True: older messages were left out to fit the limits.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Messages kept from the model (injection).")

    @classmethod
    def of(cls, response: ChatResponse) -> ChatReply:
        """The compact form of a response."""
        return cls(reply=append_view(response.reply), completion=response.completion,
                   history_messages=response.history_messages, history_truncated=response.history_truncated,
                   left_out=response.left_out)


class ChatResponder:
    """Answers threads through :class:`ProviderService`."""

    def __init__(self, chat: ChatService, providers: ProviderService, guard: SecurityGuard) -> None:
        self._chat = chat
        self._providers = providers
        self._guard = guard

    async def respond(self, scope: ChatScope | dict[str, Any] | None, thread_id: str, *, role: str = "assistant",
                      provider: str | None = None, model: str | None = None,
                      max_tokens: int | None = None) -> ChatResponse:
        """Complete the conversation in ``thread_id`` (in its own scope when ``scope`` is None), append the reply."""
        if scope is None:
            scope = await anyio.to_thread.run_sync(lambda: self._chat.get_thread(thread_id).scope)
        scope = parse_model(ChatScope, scope, "chat scope")
        call = parse_model(CallScope, {  # a bad role is invalid_input before anything is read or sent
            "task_id": scope.task_id, "role": role, "tenant_id": scope.tenant_id, "workspace_id": scope.workspace_id,
            "session_id": scope.session_id, "run_id": scope.run_id, "phase": scope.phase,
            "actor": "provider_agent", "initiated_by": "parent_agent"}, "chat_respond call")
        history, truncated, left_out = await anyio.to_thread.run_sync(self._history, scope, thread_id)
        if not history or history[-1].role == "assistant":
            raise ValidationError("the thread has no message awaiting a reply (its last message is not from a "
                                  "user, agent or reviewer)")
        completion = await self._providers.complete(history, scope=call, provider=provider, model=model,
                                                    max_tokens=max_tokens, history=True)
        last_id = await anyio.to_thread.run_sync(self._last_message_id, scope, thread_id)
        actor = {"kind": "provider_agent", "actor_id": f"{completion.provider}:{completion.model}"[:128],
                 "provider": completion.provider, "model": completion.model,
                 "request_id": completion.prompt_id}
        provenance = {"provider": completion.provider, "model": completion.model,
                      "request_id": completion.prompt_id, "response_id": completion.response_id,
                      "input_tokens": completion.input_tokens, "output_tokens": completion.output_tokens,
                      "usage_source": completion.usage_source,
                      "estimated_cost_usd": completion.estimated_cost_usd,
                      "cost_source": COST_SOURCE[completion.cost_source], "parent_message_id": last_id}
        reply = await anyio.to_thread.run_sync(lambda: self._chat.append_message(
            scope, thread_id, completion.content or "(empty reply)", actor, f"respond-{completion.prompt_id}",
            provenance=provenance))
        return ChatResponse(reply=reply, completion=completion, history_messages=len(history),
                            history_truncated=truncated, left_out=left_out)

    def _history(self, scope: ChatScope, thread_id: str) -> tuple[list[ProviderMessage], bool, list[LeftOut]]:
        messages: list[ChatMessage] = []
        cursor: str | None = None
        while True:
            page = self._chat.list_messages(scope, thread_id, limit=100, cursor=cursor)
            messages.extend(page.messages)
            messages = messages[-MAX_HISTORY_MESSAGES:]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        out: list[ProviderMessage] = []
        left_out: list[LeftOut] = []
        total, truncated = 0, False
        for message in reversed(messages):
            role = ROLE_BY_ACTOR.get(message.actor.kind)
            if role is None or message.content_state == "tombstoned" or not message.content.text.strip():
                continue
            verdict = self._guard.guard(message.content.text, Sink.PROVIDER_HISTORY)
            if verdict.outcome in (Outcome.QUARANTINE, Outcome.BLOCK, Outcome.REQUIRES_APPROVAL):
                reason = next((r for r in verdict.reasons if not r.endswith(("_allowed", "_redacted"))),
                              verdict.outcome.value)
                left_out.append(LeftOut(message_id=message.id, sequence=message.sequence, reason=reason))
                continue
            total += len(message.content.text)
            if total > MAX_HISTORY_CHARS:
                truncated = True
                break
            out.append(ProviderMessage(role=role, content=message.content.text))
        return (list(reversed(out)), truncated or len(messages) == MAX_HISTORY_MESSAGES,
                list(reversed(left_out)))

    def _last_message_id(self, scope: ChatScope, thread_id: str) -> str | None:
        thread = self._chat.get_thread(thread_id, scope)
        if thread.message_count == 0:
            return None
        cursor: str | None = None
        last: str | None = None
        while True:
            page = self._chat.list_messages(scope, thread_id, limit=100, cursor=cursor)
            if page.messages:
                last = page.messages[-1].id
            if page.next_cursor is None:
                return last
            cursor = page.next_cursor


#: the ledger's cost sources in the chat record's vocabulary
COST_SOURCE = {"provider": "provider", "estimated": "pricing_estimate", "not_billed": "free",
               "unavailable": "unavailable"}
