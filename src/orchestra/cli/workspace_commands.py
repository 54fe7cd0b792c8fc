"""``orchestra init``, ``status`` and ``serve``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from orchestra.cli.output import open_app, print_json

if TYPE_CHECKING:
    from orchestra.runtime.install.model import InitReport
    from orchestra.workspace.layout import WorkspaceLayout


def run_init(args: argparse.Namespace) -> int:
    """Create the ``.agent-workflow/`` scaffold, config.json and the state database; with ``--target``,
    register the MCP server and install hooks and rules for those runtimes."""
    from orchestra.runtime.adapters import parse_targets
    from orchestra.workspace.layout import WorkspaceLayout
    from orchestra.workspace.root import discover_root

    targets = parse_targets(",".join(args.target)) if args.target else []
    mode = "check" if args.check else "dry-run" if args.dry_run else "apply"
    layout = WorkspaceLayout(discover_root(getattr(args, "workspace", None)).root)
    out: dict[str, Any] = {"root": str(layout.root)}
    if mode == "apply":
        out.update(_scaffold(args, layout))
    else:
        out["wouldCreate"] = _missing_scaffold(layout)
    runtime = _install_targets(args, layout, targets, mode) if targets else None
    if runtime is not None:
        out["runtime"] = runtime.to_dict()
    if args.json:
        print_json(out)
    else:
        _print_init(out, runtime, mode)
    if mode == "check":
        return 1 if out["wouldCreate"] or (runtime is not None and (runtime.pending or runtime.drift)) else 0
    return 1 if runtime is not None and runtime.conflict else 0


def _scaffold(args: argparse.Namespace, layout: WorkspaceLayout) -> dict[str, Any]:
    from orchestra.app import Orchestra
    from orchestra.events import NewEvent
    from orchestra.workspace.config import write_default_config

    created = layout.scaffold()
    if write_default_config(layout.config_path):
        created.append(layout.relative(layout.config_path))
    if not layout.initialized and _on_sqlite(layout):
        created.append(layout.relative(layout.db_path))
    with Orchestra.open(layout.root) as app:
        if created:
            app.events.record(NewEvent(type="WORKSPACE_INITIALIZED", actor="cli",
                                       summary="Workspace initialized", metadata={"created": created}))
        return {"created": created, "schemaVersion": app.store.schema_version}


def _on_sqlite(layout: WorkspaceLayout) -> bool:
    """Whether the state is ``state.db`` (not a PostgreSQL schema chosen by ``ORCHESTRA_DATABASE_URL``)."""
    import os

    from orchestra.store.factory import target_from

    return target_from(layout, os.environ).dialect == "sqlite"


def _missing_scaffold(layout: WorkspaceLayout) -> list[str]:
    from orchestra.workspace.layout import SCAFFOLD_DIRS

    wanted = [layout.workflow_dir, *(layout.workflow_dir / d for d in SCAFFOLD_DIRS),
              layout.gitignore_path, layout.config_path, *([layout.db_path] if _on_sqlite(layout) else [])]
    return [layout.relative(p) for p in wanted if not p.exists()]


def _install_targets(args: argparse.Namespace, layout: WorkspaceLayout, targets: list[str],
                     mode: str) -> InitReport:
    from pathlib import Path

    from orchestra.events import NewEvent
    from orchestra.runtime.install.model import InitOptions
    from orchestra.runtime.install.service import apply_install, plan_install

    options = InitOptions(targets=targets, portable=args.portable, force=args.force,
                          windsurf_global=args.windsurf_global, home=Path.home() if args.windsurf_global else None)
    report = plan_install(layout.root, options)
    report.mode = "check" if mode == "check" else "dry-run" if mode == "dry-run" else "apply"
    if mode != "apply":
        return report
    written = apply_install(report)
    if written:
        from orchestra.app import Orchestra

        with Orchestra.open(layout.root) as app:
            app.events.record(NewEvent(
                type="RUNTIME_INIT_APPLIED", actor="cli", summary=f"Runtime files installed for {', '.join(targets)}",
                metadata={"targets": targets, "files": [{"path": c.path, "action": c.action} for c in written]},
            ))
    return report


def _print_init(out: dict[str, Any], runtime: InitReport | None, mode: str) -> None:
    print(f"Workspace: {out['root']}")
    if mode == "apply":
        print("Created: " + (", ".join(out["created"]) if out["created"] else "nothing (already initialized)"))
    else:
        print("Would create: " + (", ".join(out["wouldCreate"]) or "nothing"))
    if runtime is None:
        return
    prefix = "" if mode == "apply" else "would "
    print(f"Runtime files ({', '.join(runtime.targets)}):")
    for change in runtime.files:
        verb = change.action if change.action not in ("create", "update", "repair") else prefix + change.action
        backup = f" (backup: {change.backup})" if change.backup else ""
        print(f"  {verb:<16} {change.path}  [{change.target} {change.kind}]{backup}")
    for note in runtime.notes:
        print(f"  note: {note}")


def run_status(args: argparse.Namespace) -> int:
    """Show root, schema version and counts."""
    with open_app(args) as app:
        status = app.status()
    if args.json:
        print_json(status)
        return 0
    print(f"Workspace:      {status.root}")
    print(f"Database:       {status.database} (schema v{status.schema_version})")
    print(f"Default runtime: {status.default_runtime}")
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(status.tasks_by_status.items())) or "none"
    print(f"Tasks:          {status.tasks} ({by_status})")
    print(f"Audit events:   {status.events}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Run the MCP server on stdio, or on streamable HTTP with ``--http``."""
    from orchestra_mcp.__main__ import main as serve_main

    workspace = getattr(args, "workspace", None)
    argv = ["--workspace", workspace] if workspace else []
    if args.tools:
        argv += ["--tools", args.tools]
    http_options: dict[str, object] = {"--host": args.host, "--port": args.port, "--auth": args.auth,
                                       "--data-dir": args.data_dir}
    given = [flag for flag, value in http_options.items() if value is not None] + (
        ["--allowed-host"] if args.allowed_host else [])
    if not args.http:
        if given:
            print(f"orchestra: {given[0]} needs --http", file=sys.stderr)
            return 2
        return serve_main(argv)
    argv += ["--transport", "http"]
    for flag, value in http_options.items():
        if value is not None:
            argv += [flag, str(value)]
    for host in args.allowed_host or ():
        argv += ["--allowed-host", host]
    return serve_main(argv)
