"""Runtime ids, targets and what each runtime can do for delegation.

No ``typing``/``dataclasses`` at run time: this module is on the per-prompt hook path.
"""

from __future__ import annotations

from orchestra.errors import UnknownRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    SpawnMode = Literal["request-only", "parent-tool", "unsupported"]

TARGETS: tuple[str, ...] = ("claude", "cursor", "codex", "vscode", "windsurf", "generic")


class RuntimeAdapter:
    """What Orchestra knows about one runtime (reference §1.2, plus launch and lifecycle notes). Read-only."""

    __slots__ = ("guard_events", "id", "label", "launch", "lifecycle_events", "parent_action", "runtime_native",
                 "spawn_mode", "spawn_tool", "target")

    def __init__(self, *, id: str, target: str, label: str, runtime_native: bool, spawn_mode: SpawnMode,
                 spawn_tool: str | None, parent_action: str | None, launch: str,
                 lifecycle_events: tuple[str, ...], guard_events: tuple[str, ...] = ()) -> None:
        self.id = id
        self.target = target
        self.label = label
        self.runtime_native = runtime_native
        self.spawn_mode: SpawnMode = spawn_mode
        self.spawn_tool = spawn_tool
        """The parent's native tool that starts a child, or ``None`` when there is none."""
        self.parent_action = parent_action
        """The original's parent-action kind, kept for compatibility."""
        self.launch = launch
        """How the parent launches a child, in one sentence a model can follow."""
        self.lifecycle_events = lifecycle_events
        """Host hook events ``orchestra init`` installs to report child start/stop; empty when the parent
        must report by hand."""
        self.guard_events = guard_events
        """Host hook events ``orchestra init`` wires to the point-of-action guard (``orchestra hook pre-tool``);
        empty when the host cannot refuse a tool call from a hook."""

    def __repr__(self) -> str:
        return f"RuntimeAdapter(id={self.id!r}, target={self.target!r})"

    @property
    def can_spawn_subagent(self) -> bool:
        """``runtime_native`` and a spawn mode other than ``unsupported``."""
        return self.runtime_native and self.spawn_mode != "unsupported"

    @property
    def lifecycle_watch(self) -> bool:
        """Whether the host can report child lifecycle through its own hooks."""
        return bool(self.lifecycle_events)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view including the derived flags."""
        return {
            "id": self.id, "target": self.target, "label": self.label, "runtime_native": self.runtime_native,
            "spawn_mode": self.spawn_mode, "spawn_tool": self.spawn_tool, "parent_action": self.parent_action,
            "launch": self.launch, "lifecycle_events": list(self.lifecycle_events),
            "can_spawn_subagent": self.can_spawn_subagent, "lifecycle_watch": self.lifecycle_watch,
        }


HOOK_MATCHERS: dict[str, str] = {"claude-cli": "Agent|Task", "codex-cli": "spawn_agent"}
"""The tool matcher of the ``PreToolUse``/``PostToolUse`` lifecycle hooks, per runtime."""
GUARD_MATCHERS: dict[str, str] = {
    "claude-cli": "Bash|Read|Write|Edit|MultiEdit|NotebookEdit|Grep|Glob|WebFetch|WebSearch|mcp__.*",
    "codex-cli": "Bash|apply_patch|Edit|Write|mcp__.*",
}
"""The tool matcher of the point-of-action guard's ``PreToolUse`` hook, per runtime."""

_MANUAL = "This runtime cannot start sub-agents; run the child prompt yourself in a new session."

ADAPTERS: tuple[RuntimeAdapter, ...] = (
    RuntimeAdapter(
        id="claude-cli", target="claude", label="Claude Code", runtime_native=True,
        spawn_mode="request-only", spawn_tool="Agent", parent_action="claude-agent-request",
        launch="Call the Agent tool (formerly Task) with the child prompt as its prompt; Orchestra's hooks "
               "(orchestra init --target claude) report its start and stop.",
        lifecycle_events=("PreToolUse", "PostToolUse", "SubagentStop"), guard_events=("PreToolUse",),
    ),
    RuntimeAdapter(
        id="codex-cli", target="codex", label="Codex CLI", runtime_native=True,
        spawn_mode="parent-tool", spawn_tool="spawn_agent", parent_action="codex-spawn-agent",
        launch="Call spawn_agent with the child prompt as its message; Orchestra's hooks "
               "(orchestra init --target codex) report its start and stop.",
        lifecycle_events=("PreToolUse", "PostToolUse", "SubagentStart", "SubagentStop"), guard_events=("PreToolUse",),
    ),
    RuntimeAdapter(
        id="cursor-cli", target="cursor", label="Cursor", runtime_native=True,
        spawn_mode="request-only", spawn_tool="cursor-background-agent", parent_action="cursor-background-agent",
        launch="Start a Cursor sub-agent (Task tool) with the child prompt; Orchestra's hooks "
               "(orchestra init --target cursor) report its start and stop.",
        lifecycle_events=("subagentStart", "subagentStop"),
        guard_events=("beforeShellExecution", "beforeMCPExecution", "beforeReadFile"),
    ),
    RuntimeAdapter(
        id="vscode-agent", target="vscode", label="VS Code agent", runtime_native=False,
        spawn_mode="unsupported", spawn_tool=None, parent_action=None, launch=_MANUAL, lifecycle_events=(),
    ),
    RuntimeAdapter(
        id="windsurf-agent", target="windsurf", label="Windsurf Cascade", runtime_native=True,
        spawn_mode="request-only", spawn_tool=None, parent_action="manual-runtime-request",
        launch="Open a new Cascade session with the child prompt (no native sub-agent tool), then report "
               "its lifecycle to Orchestra by hand.",
        lifecycle_events=(),
    ),
    RuntimeAdapter(
        id="opencode-cli", target="generic", label="OpenCode", runtime_native=False,
        spawn_mode="unsupported", spawn_tool=None, parent_action=None, launch=_MANUAL, lifecycle_events=(),
    ),
    RuntimeAdapter(
        id="generic-runtime", target="generic", label="Generic runtime", runtime_native=False,
        spawn_mode="unsupported", spawn_tool=None, parent_action=None, launch=_MANUAL, lifecycle_events=(),
    ),
)

RUNTIME_IDS: tuple[str, ...] = tuple(a.id for a in ADAPTERS)
DEFAULT_RUNTIME = "generic-runtime"

TARGET_RUNTIME: dict[str, str] = {
    "claude": "claude-cli",
    "cursor": "cursor-cli",
    "codex": "codex-cli",
    "vscode": "vscode-agent",
    "windsurf": "windsurf-agent",
    "generic": "generic-runtime",  # the original picks opencode-cli here (first generic adapter): a defect
}

_BY_ID = {a.id: a for a in ADAPTERS}


def get_adapter(runtime_id: str) -> RuntimeAdapter:
    """The adapter for ``runtime_id``; an unknown id names the supported ones."""
    adapter = _BY_ID.get(runtime_id)
    if adapter is None:
        raise UnknownRuntimeError(
            f"unknown runtime execution adapter: {_clip(runtime_id)}; supported: {', '.join(RUNTIME_IDS)}",
            details={"supported": list(RUNTIME_IDS)},
        )
    return adapter


def is_runtime_id(value: str) -> bool:
    """Whether ``value`` is a supported runtime id."""
    return value in _BY_ID


def parse_target(value: str) -> str:
    """Validate one ``init --target`` value."""
    target = value.strip().lower()
    if target not in TARGETS:
        raise UnknownRuntimeError(
            f"unknown runtime target: {_clip(value)}; supported: {', '.join(TARGETS)}",
            details={"supported": list(TARGETS)},
        )
    return target


def parse_targets(csv: str) -> list[str]:
    """``"claude,cursor"`` → ``["claude", "cursor"]`` (validated, de-duplicated, order kept)."""
    out: list[str] = []
    for part in csv.split(","):
        if part.strip():
            target = parse_target(part)
            if target not in out:
                out.append(target)
    return out


def runtime_from_name(value: str) -> str | None:
    """Match an id or a target name (``claude`` → ``claude-cli``, ``generic`` → ``generic-runtime``)."""
    text = value.strip().lower()
    if text in _BY_ID:
        return text
    return TARGET_RUNTIME.get(text)


def _clip(value: str, limit: int = 64) -> str:
    text = value.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[:limit] + "…"
