"""``orchestra doctor``: check the workspace, database, key, host configs and the MCP server."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestra.cli.output import print_json


def run_doctor(args: argparse.Namespace) -> int:
    """Print each check; exit 1 when any failed."""
    from orchestra.runtime.doctor import diagnose
    from orchestra.workspace.root import discover_root

    choice = discover_root(getattr(args, "workspace", None))
    report = diagnose(Path(choice.root), choice.source, start_server=not args.no_server)
    if args.json:
        print_json(report.to_dict())
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        for check in report.checks:
            print(f"[{marks[check.status]}] {check.name}: {check.detail}")
        print("healthy" if report.ok else "problems found")
    return 0 if report.ok else 1
