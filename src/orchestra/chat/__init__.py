"""Chat: threads, messages, keyset pagination, the workflow timeline, compliance export and delete.

Names are loaded on first use (PEP 562), so importing one submodule (e.g. the policy, to validate the
config) does not import the whole package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestra.chat.compliance import ChatCompliance
    from orchestra.chat.model import (
        AppendResult,
        ChatMessage,
        ChatSelection,
        ChatThread,
        DeleteResult,
        ExportResult,
        MessagePage,
        ThreadPage,
    )
    from orchestra.chat.policy import ChatPolicy
    from orchestra.chat.records import ChatActor, ChatReference, ChatScope, ProvenanceInput, RestrictedSummary
    from orchestra.chat.service import ChatService

_HOME = {
    "ChatCompliance": "compliance",
    **dict.fromkeys(("AppendResult", "ChatMessage", "ChatSelection", "ChatThread", "DeleteResult", "ExportResult",
                     "MessagePage", "ThreadPage"), "model"),
    "ChatPolicy": "policy",
    **dict.fromkeys(("ChatActor", "ChatReference", "ChatScope", "ProvenanceInput", "RestrictedSummary"), "records"),
    "ChatService": "service",
}

__all__ = [
    "AppendResult",
    "ChatActor",
    "ChatCompliance",
    "ChatMessage",
    "ChatPolicy",
    "ChatReference",
    "ChatScope",
    "ChatSelection",
    "ChatService",
    "ChatThread",
    "DeleteResult",
    "ExportResult",
    "MessagePage",
    "ProvenanceInput",
    "RestrictedSummary",
    "ThreadPage",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestra.chat' has no attribute {name!r}")
    return getattr(importlib.import_module(f"orchestra.chat.{module}"), name)
