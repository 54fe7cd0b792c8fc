"""``orchestra fragments list|restore|shred|grant`` and ``orchestra keys status|rotate``.

The CLI is the operator's channel: its principal is the local user with the fragment admin scope.
Restored plaintext goes to stdout only (nothing else is printed there in text mode).
"""

from __future__ import annotations

import argparse
import sys

from orchestra.cli.output import open_app, print_json
from orchestra.errors import ValidationError


def run_list(args: argparse.Namespace) -> int:
    """Print shadows (never values)."""
    shadows = []
    with open_app(args) as app:
        after = None
        while True:
            page = app.fragments.list_fragments(thread_id=args.thread, task_id=args.task, status=args.status,
                                                tenant_id=args.tenant, after=after, limit=200)
            shadows += page.fragments
            if page.next_after is None:
                break
            after = page.next_after
    if args.json:
        print_json([s.model_dump(mode="json") for s in shadows])
        return 0
    if not shadows:
        print("No restricted fragments.")
    for s in shadows:
        print(f"{s.fragment_id}  {s.category.value:<13} {s.lifecycle_status.value:<17} {s.redaction_marker}"
              f"#{s.marker_index}  {s.source_kind}:{s.source_message_id}  policy={s.policy_id}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore one fragment to this terminal; exit 1 when denied (the status says why)."""
    from orchestra.fragments import local_operator

    with open_app(args) as app:
        result = app.fragments.restore(args.id, reason=args.reason, principal=local_operator())
    if args.json:
        print_json(result)
    elif result.restored and result.plaintext is not None:
        sys.stdout.write(result.plaintext + "\n")
    if not result.restored:
        print(f"orchestra: restore {result.status.value}: {result.message} "
              f"(failed: {', '.join(result.failed_preconditions)})", file=sys.stderr)
        return 1
    return 0


def run_grant(args: argparse.Namespace) -> int:
    """Issue a single-use restore grant an MCP caller can use."""
    from orchestra.fragments import local_operator

    with open_app(args) as app:
        grant = app.fragments.grant(args.id, principal=local_operator(), minutes=args.minutes)
    if args.json:
        print_json(grant)
    else:
        print(f"Grant {grant['grant_id']} for {grant['fragment_id']} (single use, expires {grant['expires_at']})")
    return 0


def run_shred(args: argparse.Namespace) -> int:
    """Crypto-shred one fragment, a tenant's fragments and keys, or every expired fragment."""
    chosen = [bool(args.id), bool(args.tenant), bool(args.expired)]
    if sum(chosen) != 1:
        raise ValidationError("name exactly one of: a fragment id, --tenant TENANT, --expired")
    with open_app(args) as app:
        if args.id:
            result = app.fragments.shred(args.id, actor="cli", reason_code=args.reason_code)
        elif args.tenant:
            result = app.fragments.shred_tenant(args.tenant, actor="cli", reason_code=args.reason_code)
        else:
            result = app.fragments.shred_expired(actor="cli")
    if args.json:
        print_json(result)
    else:
        print(f"{result.status.value}: {len(result.fragment_ids)} fragment(s), {result.ciphertext_deleted} "
              f"ciphertext(s) deleted, key versions destroyed: {', '.join(result.destroyed_key_versions) or 'none'}"
              + (f", {len(result.skipped_legal_hold)} kept under legal hold" if result.skipped_legal_hold else ""))
    return 0


def run_keys_status(args: argparse.Namespace) -> int:
    """Key versions (metadata only)."""
    with open_app(args) as app:
        status = app.fragments.key_status()
    if args.json:
        print_json(status)
        return 0
    print(f"Key provider: {status.provider}")
    if not status.versions:
        print("No key versions (no fragment has been encrypted).")
    for v in status.versions:
        print(f"{v.key_id} v{v.version:<3} {v.state:<9} {'present' if v.present else 'absent':<8} "
              f"{v.fragments} fragment(s)  tenant={v.tenant_id}")
    return 0


def run_keys_rotate(args: argparse.Namespace) -> int:
    """New key version for each tenant (or one); with --rewrap, move data keys and destroy old versions."""
    with open_app(args) as app:
        tenants = [args.tenant] if args.tenant else (app.fragments.tenants() or ["local"])
        results = [app.fragments.rotate(t, rewrap=args.rewrap, actor="cli") for t in tenants]
    if args.json:
        print_json([r.model_dump(mode="json") for r in results])
        return 0
    for r in results:
        print(f"{r.key_id} (tenant {r.tenant_id}): now v{r.new_version}; {r.rewrapped} data key(s) rewrapped; "
              f"destroyed: {', '.join(f'v{v}' for v in r.destroyed_versions) or 'none'}")
    return 0
