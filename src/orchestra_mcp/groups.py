"""Tool groups: which tools each optional group holds, what it is for, and how to register it.

The names are listed here (not discovered by importing the group) so that a server with a group off
can say which group holds a tool without importing any of that group's code.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestra.errors import ConfigError
from orchestra.workspace.config import TOOL_GROUPS

OPTIONAL_GROUPS: dict[str, tuple[str, ...]] = {
    "security": ("content_scan", "egress_check"),
    "ledger": ("usage_record", "usage_report", "budget_check", "model_aliases", "provider_complete"),
    "chat": ("chat_thread_create", "chat_threads", "chat_message_append", "chat_messages", "chat_respond",
             "chat_export", "chat_delete"),
    "media": ("transcription_preflight", "transcription_request"),
    "compliance": ("fragment_list", "fragment_restore", "fragment_shred"),
}
"""Tool names per optional group (``core`` is always on)."""

GROUP_PURPOSE: dict[str, str] = {
    "core": "tasks, delegation (spawn and sessions), context bundles, capacity, runtime",
    "security": "scan text for secrets and personal data; check egress to a model provider",
    "ledger": "record model usage, usage reports, budgets, call a configured local model",
    "chat": "conversation threads with sub-agents (redacted), model replies, compliance export/delete",
    "media": "check a recording (preflight) and transcribe it locally into task evidence",
    "compliance": "retained restricted fragments: shadows; restore with an operator's grant; crypto-shred",
}


def parse_groups(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Validated tool groups (``core`` always included), e.g. from ``--tools chat,ledger`` or ``all``."""
    items = [p.strip().lower() for p in (raw.split(",") if isinstance(raw, str) else raw) if p.strip()]
    if "all" in items:
        return TOOL_GROUPS
    unknown = [g for g in items if g not in TOOL_GROUPS]
    if unknown:
        raise ConfigError(f"unknown tool group(s) {', '.join(unknown)}; choose from {', '.join(TOOL_GROUPS)} or all")
    return tuple(g for g in TOOL_GROUPS if g == "core" or g in items)


def group_of(tool: str) -> str | None:
    """The optional group that holds ``tool``."""
    return next((group for group, names in OPTIONAL_GROUPS.items() if tool in names), None)


def enable_hint(group: str) -> str:
    """How to turn ``group`` on, for instructions and errors."""
    return (f'call tool_groups {{"enable": "{group}"}} (or start with --tools {group}, ORCHESTRA_TOOLS or '
            f'mcp.toolGroups in config.json)')
