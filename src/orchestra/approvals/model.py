"""Records of the approval service: who asks, what exactly is approved, and the request's life.

An approval binds one operation: the caller (principal and session), the action, a keyed fingerprint of
the canonical arguments and a reason code. It is pending until a person grants or denies it, expires
after a configured time, and a grant is used at most once.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from orchestra.workspace.config import ApprovalActionName

ApprovalAction = ApprovalActionName
APPROVAL_ACTIONS: tuple[str, ...] = get_args(ApprovalActionName)
DecidedVia = Literal["cli", "cli-unattended", "elicitation"]


class ApprovalStatus(StrEnum):
    """Where an approval request is in its life."""

    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    CONSUMED = "consumed"
    EXPIRED = "expired"


OPEN_STATUSES = (ApprovalStatus.PENDING.value, ApprovalStatus.GRANTED.value)


@dataclass(frozen=True, slots=True)
class ApprovalCaller:
    """Who asks: the principal (the local user on stdio, the authenticated principal when hosted) and the
    session (one MCP server process and its client). A grant only matches calls of the same caller."""

    principal: str
    session: str

    @classmethod
    def mcp(cls, runtime: str) -> ApprovalCaller:
        """The local user through this MCP server process, for a client of ``runtime``."""
        return cls(principal=local_principal(), session=f"mcp-{runtime}-{os.getpid()}"[:160])


@dataclass(frozen=True, slots=True)
class ApprovalSubject:
    """The operation an approval is for. ``arguments`` are canonicalised and fingerprinted with the
    workspace key; only the fingerprint is stored. ``summary`` is a short, content-free description."""

    action: str
    arguments: dict[str, Any]
    reason_code: str
    summary: str
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalTicket:
    """A granted approval matched to an operation, to be consumed in the operation's write transaction."""

    approval_id: str
    action: str


class Approval(BaseModel):
    """One approval request (no argument values: a keyed fingerprint only)."""

    approval_id: str = Field(description="appr-... id; `orchestra approve <id>` grants it.")
    action: str = Field(description="What the approval is for, e.g. chat_delete.")
    reason_code: str = Field(description="Why a person is asked, e.g. destructive_action.")
    summary: str = Field(description="The operation, described without content.")
    status: ApprovalStatus
    principal: str = Field(description="Who asked.")
    session: str = Field(description="The MCP server session that asked.")
    task_id: str | None = None
    fingerprint: str = Field(description="Keyed digest of the operation's canonical arguments (first 16 hex).")
    created_at: str
    expires_at: str = Field(description="Pending: until when a person may decide; granted: until when it may "
                                        "be used.")
    decided_at: str | None = None
    decided_by: str | None = None
    decided_via: str | None = Field(None, description="cli (at a terminal), cli-unattended (--yes) or elicitation.")
    consumed_at: str | None = None


class ApprovalList(BaseModel):
    """Approval requests, newest first."""

    approvals: list[Approval]


def local_principal() -> str:
    """The local OS user as a principal id."""
    try:
        return ("local:" + getpass.getuser())[:128]
    except Exception:  # no passwd entry (containers)
        return "local:user"
