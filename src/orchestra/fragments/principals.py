"""Who may restore a fragment.

A :class:`Principal` is an identity with scopes and the channel it came through. On one machine the
local OS user is the principal: at the CLI (a human at a terminal) it holds the admin scope; through
MCP (a model calling tools) it holds none, so a model cannot authorize itself; it can only use a
short-lived, single-use grant that an operator issued with ``orchestra fragments grant``. Hosted mode
plugs real identities in by building principals from its authentication layer.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

from orchestra.fragments.model import ADMIN_SCOPE

Channel = Literal["cli", "mcp", "hosted"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    principal_id: str
    scopes: frozenset[str]
    channel: Channel

    @property
    def is_admin(self) -> bool:
        """Holds the fragment admin scope."""
        return ADMIN_SCOPE in self.scopes


def _local_user() -> str:
    try:
        return ("local:" + getpass.getuser())[:128]
    except Exception:  # no passwd entry (containers)
        return "local:user"


def local_operator() -> Principal:
    """The local user at the CLI: admin scope."""
    return Principal(_local_user(), frozenset({ADMIN_SCOPE}), "cli")


def mcp_caller() -> Principal:
    """The local user through MCP: no scopes (restore needs an operator's grant)."""
    return Principal(_local_user(), frozenset(), "mcp")
