"""``orchestra audit verify`` and ``orchestra audit head``."""

from __future__ import annotations

import argparse
import sys

from orchestra.cli.output import open_app, print_json


def run_verify(args: argparse.Namespace) -> int:
    """Check the database, the triggers and the whole chain (and the anchor); exit 1 on any problem."""
    from orchestra.errors import OrchestraError
    from orchestra.events.anchor import load_anchor

    try:
        anchor = load_anchor(args.anchor) if args.anchor else None
    except OrchestraError as exc:
        print(f"orchestra audit verify: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    with open_app(args) as app:
        report = app.events.verify(anchor)
    if args.json:
        print_json(report)
    elif report.ok:
        extends = f", extends the anchor at event {report.anchor_seq}" if report.anchor_seq is not None else ""
        print(f"Audit chain OK: {report.events_checked} events verified{extends}.")
    else:
        where = f" at event {report.broken_at_seq}" if report.broken_at_seq is not None else ""
        print(f"Audit chain BROKEN{where}: {report.problem} "
              f"({report.events_checked} events verified before it).", file=sys.stderr)
        for problem in report.problems[1:]:
            print(f"also: {problem}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0 if report.ok else 1


def run_head(args: argparse.Namespace) -> int:
    """Print the audit head as a one-line JSON anchor ``{"seq": N, "mac": "..."}`` to keep elsewhere."""
    import json

    with open_app(args) as app:
        anchor = app.events.head()
    sys.stdout.write(json.dumps(anchor.model_dump(mode="json"), sort_keys=True) + "\n")
    return 0
