"""``orchestra audit verify``."""

from __future__ import annotations

import argparse
import sys

from orchestra.cli.output import open_app, print_json


def run_verify(args: argparse.Namespace) -> int:
    """Walk the chain; exit 1 at the first broken link."""
    with open_app(args) as app:
        report = app.events.verify()
    if args.json:
        print_json(report)
    elif report.ok:
        print(f"Audit chain OK: {report.events_checked} events verified.")
    else:
        print(f"Audit chain BROKEN at event {report.broken_at_seq}: {report.problem} "
              f"({report.events_checked} events verified before it).", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0 if report.ok else 1
