"""Chat: threads, messages, keyset pagination, the workflow timeline, compliance export and delete."""

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
