"""``orchestra health``: the per-prompt hook command. Standard library imports only."""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run_health(args: argparse.Namespace) -> int:
    """argparse adapter for :func:`health`."""
    return health(runtime=args.runtime, workspace=getattr(args, "workspace", None), hook_session=args.hook_session,
                  as_json=args.json, quiet=args.quiet)


def health(*, runtime: str | None, workspace: str | None, hook_session: bool, as_json: bool, quiet: bool) -> int:
    """Validate ``runtime`` (before any write), record it, print the compact report.

    In a folder Orchestra was not initialized in, nothing is written: a hook (``--hook-session`` or
    ``--quiet``) prints nothing and exits 0; a person is told to run ``orchestra init``."""
    from orchestra.errors import WorkspaceError
    from orchestra.runtime.adapters import get_adapter
    from orchestra.runtime.health import (
        HookInput,
        build_report,
        format_text,
        read_hook_input,
        record_runtime,
        stdin_binary,
    )
    from orchestra.workspace.locate import is_initialized, locate_root

    runtime_id = get_adapter(runtime).id if runtime else None
    hook: HookInput | None = read_hook_input(stdin_binary()) if hook_session else None
    silent = quiet or hook_session
    hint = hook.workspace_hint if hook else None
    start = hint if hint and os.path.isabs(hint) and os.path.isdir(hint) else None
    try:
        root, _source = locate_root(workspace, cwd=start)
    except WorkspaceError:
        if silent:
            return 0
        raise
    if not is_initialized(root):
        if silent:
            return 0
        absent = {"workspaceRoot": root, "initialized": False,
                  "message": "Orchestra is not initialized here; run `orchestra init`"}
        sys.stdout.write((json.dumps(absent, indent=2) if as_json
                          else f"Orchestra: not initialized in {root}; run `orchestra init`.") + "\n")
        return 0
    env = dict(os.environ)
    recorded = record_runtime(root, runtime_id, hook=hook, env=env) if runtime_id else None
    report = build_report(root, recorded=recorded, env=env, warnings=hook.warnings if hook else None)
    if quiet:
        return 0
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        return 0
    sys.stdout.write(format_text(report) + "\n")
    for warning in report["warnings"]:
        sys.stderr.write(f"orchestra: warning: {warning}\n")
    return 0
