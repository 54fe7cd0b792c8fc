"""``orchestra init``, ``status`` and ``serve``."""

from __future__ import annotations

import argparse

from orchestra.cli.output import open_app, print_json


def run_init(args: argparse.Namespace) -> int:
    """Create the ``.agent-workflow/`` scaffold, config.json and the state database."""
    from orchestra.events import NewEvent
    from orchestra.workspace.config import write_default_config
    from orchestra.workspace.layout import WorkspaceLayout
    from orchestra.workspace.root import discover_root

    layout = WorkspaceLayout(discover_root(getattr(args, "workspace", None)).root)
    created = layout.scaffold()
    if write_default_config(layout.config_path):
        created.append(layout.relative(layout.config_path))
    with open_app(args) as app:
        if created:
            app.events.record(NewEvent(type="WORKSPACE_INITIALIZED", actor="cli",
                                       summary="Workspace initialized", metadata={"created": created}))
        report = {"root": str(layout.root), "created": created, "schemaVersion": app.store.schema_version}
    if args.json:
        print_json(report)
    else:
        print(f"Workspace: {report['root']}")
        print("Created: " + (", ".join(created) if created else "nothing (already initialized)"))
    return 0


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
    """Run the MCP server on stdio."""
    from orchestra_mcp.__main__ import main as serve_main

    workspace = getattr(args, "workspace", None)
    return serve_main(["--workspace", workspace] if workspace else [])
