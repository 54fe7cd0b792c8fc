"""``orchestra approve|deny <id>`` and ``orchestra approvals list``: the person's side of approvals.

Granting is the one step a model must not take for itself. ``approve`` therefore asks for a typed
confirmation on a terminal (stdin and stderr must be a TTY, which an agent's shell tool usually is not)
unless ``--yes`` is given together with ``ORCHESTRA_APPROVER`` naming the operator (for an operator's own
scripts). Neither stops an agent that drives a real terminal as the same OS user; docs/approvals.md says
what does (the pre-tool-use hook refusing these commands, hosted principals).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from orchestra.cli.output import open_app, print_json
from orchestra.errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestra.approvals import Approval

APPROVER_ENV = "ORCHESTRA_APPROVER"
CONFIRM_WORD = "approve"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                common: argparse.ArgumentParser) -> None:
    """Register ``approve``, ``deny`` and ``approvals list`` (stdlib only: the parser stays light)."""
    module = "orchestra.cli.approval_commands"
    approve = commands.add_parser("approve", parents=[common],
                                  help="grant a pending approval request (once, for that exact operation)")
    approve.add_argument("id", help="approval id (appr-...)")
    approve.add_argument("--yes", action="store_true",
                         help=f"do not ask for confirmation (needs {APPROVER_ENV}=<your name>)")
    approve.add_argument("--json", action="store_true", help="print JSON")
    approve.set_defaults(handler=_lazy(module, "run_approve"))
    deny = commands.add_parser("deny", parents=[common], help="refuse a pending approval request")
    deny.add_argument("id", help="approval id (appr-...)")
    deny.add_argument("--json", action="store_true", help="print JSON")
    deny.set_defaults(handler=_lazy(module, "run_deny"))
    approvals = commands.add_parser("approvals", parents=[common], help="approval requests")
    actions = approvals.add_subparsers(dest="approvals_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="approval requests, newest first")
    listing.add_argument("--status", default=None,
                         help="only this status: pending, granted, denied, consumed, expired")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_lazy(module, "run_list"))


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        func: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
        return func(args)

    return handler


def run_list(args: argparse.Namespace) -> int:
    """Print approval requests (no argument values: a keyed fingerprint only)."""
    with open_app(args) as app:
        listing = app.approvals.list(status=args.status, limit=500)
    if args.json:
        print_json(listing)
        return 0
    if not listing.approvals:
        print("No approval requests.")
    for a in listing.approvals:
        print(f"{a.approval_id}  {a.status.value:<8} {a.action:<27} {a.reason_code:<20} until {a.expires_at}  "
              f"{a.summary}")
    return 0


def run_approve(args: argparse.Namespace) -> int:
    """Grant one pending request after the person confirmed it."""
    from orchestra.approvals.model import local_principal

    with open_app(args) as app:
        approval = app.approvals.get(args.id)
        if args.yes:
            operator = os.environ.get(APPROVER_ENV, "").strip()
            if not operator:
                raise ValidationError(f"--yes needs {APPROVER_ENV}=<your name> (an operator's script); "
                                      "otherwise run 'orchestra approve <id>' at a terminal and confirm")
            granted = app.approvals.grant(approval.approval_id, approver=f"{local_principal()} ({operator[:60]})",
                                          via="cli-unattended")
        else:
            _confirm(approval)
            granted = app.approvals.grant(approval.approval_id, approver=local_principal(), via="cli")
    if args.json:
        print_json(granted)
    else:
        print(f"Granted {granted.approval_id} ({granted.action}), single use until {granted.expires_at}. "
              "The agent can now repeat the same call.")
    return 0


def run_deny(args: argparse.Namespace) -> int:
    """Refuse one pending request (no confirmation: refusing is always safe)."""
    from orchestra.approvals.model import local_principal

    with open_app(args) as app:
        denied = app.approvals.deny(args.id, approver=local_principal(), via="cli")
    if args.json:
        print_json(denied)
    else:
        print(f"Denied {denied.approval_id} ({denied.action}); the same call is refused until {denied.expires_at}.")
    return 0


def _confirm(approval: Approval) -> None:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise ValidationError("approving needs a person at a terminal (stdin is not a TTY); run it yourself, "
                              f"or use --yes with {APPROVER_ENV}=<your name> in an operator's script")
    if approval.status.value != "pending":
        raise ValidationError(f"approval {approval.approval_id} is {approval.status.value}, not pending")
    sys.stderr.write(
        f"Approval request {approval.approval_id}\n  action:   {approval.action} ({approval.reason_code})\n"
        f"  what:     {approval.summary}\n  asked by: {approval.principal} in {approval.session}\n"
        f"  expires:  {approval.expires_at}\nType '{CONFIRM_WORD}' to allow it once: ")
    sys.stderr.flush()
    answer = sys.stdin.readline(64).strip().lower()
    if answer != CONFIRM_WORD:
        raise ValidationError("not confirmed; nothing was granted")
