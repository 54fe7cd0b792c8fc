"""``security.toolPolicy`` in ``config.json``, parsed with the standard library only.

The pydantic model in :mod:`orchestra.workspace.config` validates the same section for every other
reader; a test keeps the two defaults identical. Errors name the key (``security.toolPolicy.<key>``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

OUTCOMES = ("allow", "ask", "deny")
ACTIONS = ("exfiltration", "protectedPath", "outOfScopeWrite", "destructive", "forcePush", "publish",
           "remoteScript", "operatorCommand")
"""Every rule family the policy can set to allow/ask/deny."""

DEFAULT_ACTIONS: dict[str, str] = {
    "exfiltration": "deny", "protectedPath": "deny", "outOfScopeWrite": "deny", "destructive": "ask",
    "forcePush": "ask", "publish": "ask", "remoteScript": "ask", "operatorCommand": "deny",
}
ALWAYS_PROTECTED = (".agent-workflow/keys", ".agent-workflow/state.db")
"""Workspace-relative prefixes no agent may read or write, whatever the configuration says."""
WRITE_PROTECTED = (".agent-workflow/config.json", ".claude/settings.json", ".claude/settings.local.json",
                   ".codex/hooks.json", ".codex/config.toml", ".cursor/hooks.json")
"""Files no agent may write (reading is fine): the policy itself and the host files that install this hook.
An agent that could edit them could switch off the guard that governs it."""
DEFAULT_MCP_SERVERS = ("orchestra",)
DEFAULT_SCRATCH = ("/tmp", "/var/tmp")
KEY = "security.toolPolicy"
MAX_ENTRIES = 256
MAX_ENTRY_CHARS = 1024


class ToolPolicyError(ValueError):
    """An invalid ``security.toolPolicy``; the message names the key."""


class ToolPolicy:
    """The effective policy (defaults merged with the file). Read-only by convention."""

    __slots__ = ("actions", "allowed_commands", "enabled", "mcp_servers", "on_error", "protected_paths", "roles",
                 "scratch_paths")

    def __init__(self, *, enabled: bool = True, actions: Mapping[str, str] | None = None,
                 roles: Mapping[str, Mapping[str, str]] | None = None, protected_paths: tuple[str, ...] = (),
                 allowed_commands: tuple[str, ...] = (), mcp_servers: tuple[str, ...] = DEFAULT_MCP_SERVERS,
                 scratch_paths: tuple[str, ...] = DEFAULT_SCRATCH, on_error: str = "allow") -> None:
        self.enabled = enabled
        self.actions = {**DEFAULT_ACTIONS, **dict(actions or {})}
        self.roles = {role: dict(values) for role, values in (roles or {}).items()}
        self.protected_paths = tuple(dict.fromkeys((*ALWAYS_PROTECTED, *protected_paths)))
        self.allowed_commands = allowed_commands
        self.mcp_servers = mcp_servers
        self.scratch_paths = scratch_paths
        self.on_error = on_error

    def outcome(self, action: str, role: str | None) -> str:
        """allow/ask/deny for ``action``; a child's role override wins over the workspace setting."""
        if role is not None:
            override = self.roles.get(role, {}).get(action)
            if override is not None:
                return override
        return self.actions[action]

    def to_dict(self) -> dict[str, Any]:
        """The camelCase form (what ``config.json`` holds)."""
        return {"enabled": self.enabled, "actions": dict(self.actions), "roles": {k: dict(v) for k, v in
                                                                                self.roles.items()},
                "protectedPaths": [p for p in self.protected_paths if p not in ALWAYS_PROTECTED],
                "allowedCommands": list(self.allowed_commands), "mcpServers": list(self.mcp_servers),
                "scratchPaths": list(self.scratch_paths), "onError": self.on_error}


def default_section() -> dict[str, Any]:
    """The defaults as written to ``config.json`` (compared with the pydantic model's by a test)."""
    return ToolPolicy().to_dict()


_FIELDS = ("enabled", "actions", "roles", "protectedPaths", "allowedCommands", "mcpServers", "scratchPaths", "onError")


def parse_tool_policy(section: object) -> ToolPolicy:
    """Validate ``security.toolPolicy`` (``None``: the defaults); raises :class:`ToolPolicyError` naming the key."""
    if section is None:
        return ToolPolicy()
    if not isinstance(section, dict):
        raise ToolPolicyError(f"config.json key '{KEY}': must be an object")
    unknown = sorted(k for k in section if k not in _FIELDS)
    if unknown:
        raise ToolPolicyError(f"config.json key '{KEY}.{unknown[0]}': unknown key (known: {', '.join(_FIELDS)})")
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ToolPolicyError(f"config.json key '{KEY}.enabled': must be true or false")
    on_error = section.get("onError", "allow")
    if on_error not in ("allow", "deny"):
        raise ToolPolicyError(f"config.json key '{KEY}.onError': must be 'allow' or 'deny'")
    actions = _actions(section.get("actions", {}), f"{KEY}.actions")
    roles_raw = section.get("roles", {})
    if not isinstance(roles_raw, dict) or len(roles_raw) > MAX_ENTRIES:
        raise ToolPolicyError(f"config.json key '{KEY}.roles': must be an object of at most {MAX_ENTRIES} roles")
    roles = {}
    for role, values in roles_raw.items():
        if not (1 <= len(role) <= 64):
            raise ToolPolicyError(f"config.json key '{KEY}.roles': role names are 1-64 characters")
        roles[role] = _actions(values, f"{KEY}.roles.{role}")
    return ToolPolicy(
        enabled=enabled, actions=actions, roles=roles,
        protected_paths=tuple(_strings(section, "protectedPaths", ()), ),
        allowed_commands=tuple(_strings(section, "allowedCommands", ())),
        mcp_servers=tuple(_strings(section, "mcpServers", DEFAULT_MCP_SERVERS)),
        scratch_paths=tuple(_strings(section, "scratchPaths", DEFAULT_SCRATCH)), on_error=on_error)


def _actions(value: object, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ToolPolicyError(f"config.json key '{key}': must be an object")
    out: dict[str, str] = {}
    for action, outcome in value.items():
        if outcome is None:
            continue  # an unset override (how the pydantic model writes it)
        if action not in ACTIONS:
            raise ToolPolicyError(f"config.json key '{key}.{action}': unknown action (known: {', '.join(ACTIONS)})")
        if outcome not in OUTCOMES:
            raise ToolPolicyError(f"config.json key '{key}.{action}': must be one of allow, ask, deny")
        out[action] = outcome
    return out


def _strings(section: Mapping[str, Any], name: str, default: tuple[str, ...]) -> list[str]:
    value = section.get(name)
    if value is None:
        return list(default)
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise ToolPolicyError(f"config.json key '{KEY}.{name}': must be a list of at most {MAX_ENTRIES} strings")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ENTRY_CHARS or "\x00" in item:
            raise ToolPolicyError(f"config.json key '{KEY}.{name}': entries are non-empty strings of at most "
                                  f"{MAX_ENTRY_CHARS} characters")
        out.append(item.strip())
    return out


def policy_from_config(config: Mapping[str, Any]) -> ToolPolicy:
    """The tool policy of a parsed ``config.json`` object."""
    security = config.get("security")
    if security is None:
        return ToolPolicy()
    if not isinstance(security, dict):
        raise ToolPolicyError("config.json key 'security': must be an object")
    return parse_tool_policy(security.get("toolPolicy"))
