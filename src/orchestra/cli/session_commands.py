"""``orchestra session list|show|cancel``: the delegated sessions from a terminal."""

from __future__ import annotations

import argparse

from orchestra.cli.output import open_app, print_json


def run_list(args: argparse.Namespace) -> int:
    """Sessions newest first (pending hook reports and handoff files are settled first)."""
    with open_app(args) as app:
        listing = app.delegation.list_sessions(task_id=args.task, status=args.status, include_closed=args.all,
                                               limit=500)
    if args.json:
        print_json(listing)
        return 0
    if not listing.sessions:
        print("No sessions.")
    for s in listing.sessions:
        print(f"{s.status:<10} {s.task_id:<16} {s.role:<12} {s.session_id}")
    c = listing.counts
    print(f"{c.active} active of {listing.max_concurrent_delegates}, {c.queued} queued, {c.terminal} finished")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """One session and its timeline."""
    with open_app(args) as app:
        detail = app.delegation.get(args.id)
    if args.json:
        print_json(detail)
        return 0
    s = detail.session
    print(f"{s.session_id}  [{s.status}]  task {s.task_id}, role {s.role}, runtime {s.runtime}")
    if s.summary:
        print(f"Summary: {s.summary}")
    if s.result:
        print(f"Result: {str(s.result.get('summary', ''))[:500]}")
    for step in detail.timeline:
        print(f"  {step.at}  {step.from_status or '-':>9} -> {step.to_status:<10} {step.summary or ''}")
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    """Cancel a session; its slot goes to the next queued request."""
    with open_app(args) as app:
        result = app.delegation.update({"session_id": args.id, "status": "canceled", "summary": args.reason},
                                       actor="cli")
    if args.json:
        print_json(result)
        return 0
    print(f"Session {args.id}: {result.session.status}")
    for sid in result.promoted:
        print(f"  promoted session {sid}: launch it now")
    return 0
