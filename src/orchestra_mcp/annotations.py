"""Tool annotations shared by every tool module (hints for hosts; none of our tools reach the open world
except the ones that call a model provider)."""

from __future__ import annotations

from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
"""Reads state; changes nothing."""
CREATES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
"""Adds records; a repeat adds again (or fails on a duplicate id)."""
IDEMPOTENT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
"""Writes; repeating the same call returns the earlier result."""
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
"""Removes or tombstones records; a repeat changes nothing new."""
CALLS_MODEL = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
"""Sends (guarded) text to a model provider."""
