"""``orchestra chat export``: a redacted compliance export of a thread, task or run from the terminal."""

from __future__ import annotations

import argparse
import getpass

from orchestra.cli.output import open_app, print_json


def run_export(args: argparse.Namespace) -> int:
    """Write the JSON and Markdown exports; print where they are."""
    scope = "thread" if args.thread else "task" if args.task else "run"
    with open_app(args) as app:
        result = app.chat.export(scope, actor_id=args.actor or _user(), actor_role=args.role, thread_id=args.thread,
                                 task_id=args.task, run_id=args.run, tenant_id=args.tenant,
                                 workspace_id=args.workspace_id, include_tombstoned=args.include_deleted)
    if args.json:
        print_json(result)
        return 0
    data = result.model_dump(mode="json")
    for key, value in data.items():
        if isinstance(value, str) and value.endswith((".json", ".md")) and "://" not in value:
            print(f"{key}: {value}")
    return 0


def _user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return "cli"
    return "".join(c for c in name if c.isalnum() or c in "._-")[:64] or "cli"
