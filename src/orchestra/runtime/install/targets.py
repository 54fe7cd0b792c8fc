"""What ``init`` writes for each target (reference §1.5-§1.8, mcp-notes §C)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from orchestra.runtime.adapters import GUARD_MATCHERS, HOOK_MATCHERS, get_adapter
from orchestra.runtime.install.commands import Executables, guard_command, health_command, lifecycle_command
from orchestra.runtime.install.files import locate, plan_block, plan_json, plan_toml
from orchestra.runtime.install.jsonfiles import MergeContext, merge_flat_hooks, merge_grouped_hooks, merge_server
from orchestra.runtime.install.model import FileChange, InitOptions

BLOCK_ID = "orchestra-runtime"
SERVER = "orchestra"
HOOK_TIMEOUT_S = 10
CURSOR_RULE_FRONTMATTER = (
    '---\ndescription: "Orchestra health preflight — records the runtime and loads workflow state"\n'
    "globs:\nalwaysApply: true\n---\n"
)
WINDSURF_RULE_FRONTMATTER = "---\ntrigger: always_on\n---\n"
SKILL_PATH = ".claude/skills/orchestra-delegation/SKILL.md"
SKILL_FRONTMATTER = (
    "---\nname: orchestra-delegation\ndescription: Delegate work to sub-agents through the Orchestra MCP server "
    "(spawn_request, launch natively, session_wait, collect the result). Use when handing a task to a "
    "sub-agent in this workspace.\n---\n"
)


def delegation_skill() -> str:
    """The body of the delegation skill (shipped with the package)."""
    return (Path(__file__).parent / "data" / "orchestra-delegation.md").read_text(encoding="utf-8").rstrip()


class TargetPlan:
    """Files and notes for one target."""

    def __init__(self) -> None:
        self.files: list[FileChange] = []
        self.notes: list[str] = []


def plan_target(target: str, root: Path, exe: Executables, options: InitOptions) -> TargetPlan:
    """Dispatch to the planner of ``target``."""
    planners = {"claude": _claude, "cursor": _cursor, "codex": _codex, "vscode": _vscode,
                "windsurf": _windsurf, "generic": _generic}
    plan = TargetPlan()
    planners[target](plan, root, exe, options)
    return plan


def _json(plan: TargetPlan, root: Path, rel: str, target: str, kind: str, merge: Any, options: InitOptions) -> None:
    """Plan one JSON file; ``merge(data, ctx)`` adds our entries and records hand edits in ``ctx``."""
    where = locate(root, rel, target, kind)
    if isinstance(where, FileChange):
        plan.files.append(where)
        return
    ctx = MergeContext(force=options.force)
    plan.files.append(plan_json(where, rel, target, kind, lambda data: merge(data, ctx), ctx))


def _block(plan: TargetPlan, root: Path, rel: str, target: str, kind: str, content: str, options: InitOptions,
           prefix: str = "") -> None:
    where = locate(root, rel, target, kind)
    if isinstance(where, FileChange):
        plan.files.append(where)
        return
    plan.files.append(plan_block(where, rel, target, kind, BLOCK_ID, content, new_file_prefix=prefix,
                                 force=options.force))


def _guidance(exe: Executables, runtime: str) -> str:
    orch = shlex.quote(exe.orchestra)
    return (
        "Orchestra governs sub-agent delegation in this workspace (MCP server `orchestra`).\n\n"
        "At the start of every session, record the runtime and load the workflow state:\n\n"
        f"```bash\n(command -v {orch} >/dev/null 2>&1 && {orch} health --runtime {runtime}) || true\n```\n\n"
        "Before delegating work to a sub-agent, call the `runtime_status` tool and register the work with "
        "the task tools; never call model providers directly."
    )


def _claude(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    entry = {"type": "stdio", "command": exe.orchestra_mcp, "args": []}
    _json(plan, root, ".mcp.json", "claude", "mcp", lambda d, c: merge_server(d, "mcpServers", SERVER, entry, c),
          options)
    hook = {"type": "command", "command": health_command(exe, "claude-cli"), "timeout": HOOK_TIMEOUT_S}

    def merge(data: dict[str, Any], ctx: MergeContext) -> dict[str, Any] | str:
        first = merge_grouped_hooks(data, "SessionStart", "startup|resume|clear|compact", hook, ctx)
        first = first if isinstance(first, str) else merge_grouped_hooks(first, "UserPromptSubmit", "", hook, ctx)
        return _lifecycle_grouped(first, exe, "claude-cli", ctx)

    _json(plan, root, ".claude/settings.json", "claude", "hooks", merge, options)
    _block(plan, root, SKILL_PATH, "claude", "skill", delegation_skill(), options, SKILL_FRONTMATTER)
    plan.notes.append("Claude Code: project servers in .mcp.json need each user's approval on first use "
                      "(or `claude mcp add --scope project`).")


def _cursor(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    entry = {"command": exe.orchestra_mcp, "args": ["--workspace", "${workspaceFolder}"]}
    _json(plan, root, ".cursor/mcp.json", "cursor", "mcp",
          lambda d, c: merge_server(d, "mcpServers", SERVER, entry, c), options)
    start = {"command": health_command(exe, "cursor-cli", cursor_reply="{}")}
    prompt = {"command": health_command(exe, "cursor-cli", cursor_reply='{"continue":true}')}

    def merge(data: dict[str, Any], ctx: MergeContext) -> dict[str, Any] | str:
        out = merge_flat_hooks(data, "sessionStart", start, ctx)
        out = out if isinstance(out, str) else merge_flat_hooks(out, "beforeSubmitPrompt", prompt, ctx)
        for event in get_adapter("cursor-cli").lifecycle_events:
            if isinstance(out, str):
                break
            out = merge_flat_hooks(out, event, {"command": lifecycle_command(exe, "cursor-cli", event)}, ctx)
        for event in get_adapter("cursor-cli").guard_events:
            if isinstance(out, str):
                break
            out = merge_flat_hooks(out, event, {"command": guard_command(exe, "cursor-cli")}, ctx)
        return out

    _json(plan, root, ".cursor/hooks.json", "cursor", "hooks", merge, options)
    _block(plan, root, ".cursor/rules/orchestra-health.mdc", "cursor", "rules", _guidance(exe, "cursor-cli"),
           options, CURSOR_RULE_FRONTMATTER)


def _codex(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    rel = ".codex/config.toml"
    where = locate(root, rel, "codex", "mcp")
    plan.files.append(where if isinstance(where, FileChange)
                      else plan_toml(where, rel, "codex", exe.orchestra_mcp, [], force=options.force))
    hook = {"type": "command", "command": health_command(exe, "codex-cli", quiet=True), "timeout": HOOK_TIMEOUT_S}

    def merge(data: dict[str, Any], ctx: MergeContext) -> dict[str, Any] | str:
        first = merge_grouped_hooks(data, "SessionStart", "startup|resume|clear|compact", hook, ctx)
        first = first if isinstance(first, str) else merge_grouped_hooks(first, "UserPromptSubmit", None, hook, ctx)
        return _lifecycle_grouped(first, exe, "codex-cli", ctx)

    _json(plan, root, ".codex/hooks.json", "codex", "hooks", merge, options)
    _block(plan, root, "AGENTS.md", "codex", "instructions", _guidance(exe, "codex-cli"), options)
    mcp = shlex.quote(exe.orchestra_mcp)
    plan.notes += [
        "Codex reads .codex/config.toml only for trusted projects; to register the server globally instead run: "
        f"codex mcp add {SERVER} -- {mcp} --workspace {shlex.quote(str(root))}",
        "Codex runs .codex/hooks.json by default (hooks are on by default; the old "
        "`[features] codex_hooks` flag is a deprecated alias) for trusted projects. Without the hooks, the "
        "AGENTS.md block asks the agent to run the health command and report sub-agents with session_update.",
    ]


def _lifecycle_grouped(data: dict[str, Any] | str, exe: Executables, runtime: str,
                       ctx: MergeContext) -> dict[str, Any] | str:
    """Add the sub-agent lifecycle hooks of ``runtime`` (Claude/Codex grouped shape)."""
    out = data
    for event in get_adapter(runtime).lifecycle_events:
        if isinstance(out, str):
            break
        matcher = HOOK_MATCHERS[runtime] if event in ("PreToolUse", "PostToolUse") else None
        hook = {"type": "command", "command": lifecycle_command(exe, runtime, event), "timeout": HOOK_TIMEOUT_S}
        out = merge_grouped_hooks(out, event, matcher, hook, ctx)
    for event in get_adapter(runtime).guard_events:
        if isinstance(out, str):
            break
        hook = {"type": "command", "command": guard_command(exe, runtime), "timeout": HOOK_TIMEOUT_S}
        out = merge_grouped_hooks(out, event, GUARD_MATCHERS[runtime], hook, ctx)
    return out


def _vscode(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    entry = {"type": "stdio", "command": exe.orchestra_mcp, "args": ["--workspace", "${workspaceFolder}"]}
    _json(plan, root, ".vscode/mcp.json", "vscode", "mcp", lambda d, c: merge_server(d, "servers", SERVER, entry, c),
          options)
    plan.notes.append("VS Code: no hook is installed; the server recognises VS Code from its MCP client name.")


def _windsurf(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    _block(plan, root, ".windsurf/rules/orchestra.md", "windsurf", "rules", _guidance(exe, "windsurf-agent"),
           options, WINDSURF_RULE_FRONTMATTER)
    entry = {"command": exe.orchestra_mcp, "args": ["--workspace", str(root)]}
    rel = "~/.codeium/windsurf/mcp_config.json"
    if options.windsurf_global and options.home is not None:
        path = options.home / ".codeium" / "windsurf" / "mcp_config.json"
        ctx = MergeContext(force=options.force)
        plan.files.append(plan_json(path, rel, "windsurf", "mcp",
                                    lambda d: merge_server(d, "mcpServers", SERVER, entry, ctx), ctx))
        return
    snippet = json.dumps({"mcpServers": {SERVER: entry}}, ensure_ascii=False)
    plan.files.append(FileChange(rel, "windsurf", "mcp", "manual",
                                 note="Windsurf's MCP config is global; merge this into it (or rerun with "
                                      f"--windsurf-global): {snippet}"))


def _generic(plan: TargetPlan, root: Path, exe: Executables, options: InitOptions) -> None:
    snippet = json.dumps({"mcpServers": {SERVER: {"command": exe.orchestra_mcp,
                                                  "args": ["--workspace", str(root)]}}}, ensure_ascii=False)
    content = _guidance(exe, "generic-runtime") + f"\n\nMCP server entry for other runtimes:\n\n```json\n{snippet}\n```"
    _block(plan, root, "ORCHESTRA.md", "generic", "instructions", content, options)
