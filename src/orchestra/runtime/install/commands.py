"""The commands ``init`` writes: the MCP server launch and the hook command per host.

Hook commands degrade silently when ``orchestra`` is missing (``command -v`` guard, ``|| true``)
and print only what the host accepts: Claude Code takes plain text as context; Cursor's
``beforeSubmitPrompt`` expects JSON (``{"continue":true}``), so it always gets exactly that;
Codex hooks run ``--quiet``.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HOOK_MARK = "health --runtime"
LIFECYCLE_MARK = " hook "
GUARD_MARK = " hook pre-tool "


@dataclass(frozen=True)
class Executables:
    """How to call the two console scripts from a host's config."""

    orchestra: str
    orchestra_mcp: str


def resolve_executables(*, portable: bool) -> Executables:
    """Absolute paths from the running environment (robust when a GUI IDE lacks the venv on PATH),
    or bare names found on PATH (``portable``, for files committed to a shared repository)."""
    if portable:
        return Executables("orchestra", "orchestra-mcp")
    return Executables(_locate("orchestra"), _locate("orchestra-mcp"))


def _locate(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    return found or name


def health_command(exe: Executables, runtime: str, *, quiet: bool = False, cursor_reply: str | None = None) -> str:
    """``(command -v orchestra … && orchestra health --runtime <id> --hook-session) || true`` and variants."""
    orch = shlex.quote(exe.orchestra)
    call = f"{orch} health --runtime {runtime} --hook-session" + (" --quiet" if quiet else "")
    guarded = f"command -v {orch} >/dev/null 2>&1 && {call}"
    if cursor_reply is not None:
        return f"({guarded}) >/dev/null 2>&1; echo {shlex.quote(cursor_reply)}"
    if quiet:
        return f"({guarded}) >/dev/null 2>&1 || true"
    return f"({guarded}) 2>/dev/null || true"


def lifecycle_command(exe: Executables, runtime: str, event: str) -> str:
    """``orchestra hook <event> --runtime <id>``, silent when ``orchestra`` is missing; Cursor always gets ``{}``."""
    orch = shlex.quote(exe.orchestra)
    call = f"{orch} hook {event} --runtime {runtime}"
    guarded = f"command -v {orch} >/dev/null 2>&1 && {call} 2>/dev/null"
    if runtime == "cursor-cli":
        return f"({guarded}) || echo '{{}}'"
    return f"({guarded}) || true"


def guard_command(exe: Executables, runtime: str) -> str:
    """``orchestra hook pre-tool --runtime <id>``: silent (no opinion) when ``orchestra`` is missing or fails;
    Cursor's gates then get ``{}``."""
    orch = shlex.quote(exe.orchestra)
    call = f"{orch} hook pre-tool --runtime {runtime}"
    guarded = f"command -v {orch} >/dev/null 2>&1 && {call} 2>/dev/null"
    if runtime == "cursor-cli":
        return f"({guarded}) || echo '{{}}'"
    return f"({guarded}) || true"


def hook_kind(command: object) -> str | None:
    """``health``, ``guard`` or ``lifecycle`` for one of our hook commands, else ``None``."""
    if not is_orchestra_hook(command):
        return None
    text = str(command)
    if GUARD_MARK in text:
        return "guard"
    return "health" if HOOK_MARK in text else "lifecycle"


def is_orchestra_hook(command: object) -> bool:
    """Whether a hook command is one of ours (any runtime, any path to ``orchestra``)."""
    return isinstance(command, str) and "orchestra" in command and (
        HOOK_MARK in command or (LIFECYCLE_MARK in command and "--runtime" in command))
