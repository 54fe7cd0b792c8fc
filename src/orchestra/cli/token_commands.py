"""``orchestra token create|list|revoke``: hosted API tokens in the control store the environment selects.

``<data-dir>/control.db``, or with ``ORCHESTRA_DATABASE_URL`` the deployment's PostgreSQL control schema
(then ``ORCHESTRA_MASTER_KEY`` or ``ORCHESTRA_MASTER_KEY_FILE`` is needed too; see docs/hosted.md).

``--workspace`` here is the workspace id inside a tenant (not a folder); the token is printed once.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from orchestra.cli.output import print_json
from orchestra.errors import ValidationError
from orchestra.hosted.control_open import HostedControl, open_control
from orchestra.hosted.tokens import TokenService


def _service(args: argparse.Namespace) -> tuple[HostedControl, TokenService]:
    raw = args.data_dir or os.environ.get("ORCHESTRA_DATA_DIR")
    if not raw:
        raise ValidationError("give --data-dir or set ORCHESTRA_DATA_DIR (the hosted server's data folder)")
    data_dir = Path(raw).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    control = open_control(data_dir)
    return control, TokenService(control.store, control.token_key)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_create(args: argparse.Namespace) -> int:
    """Create a token and print it once."""
    control, tokens = _service(args)
    try:
        created = tokens.create(args.tenant, args.scope_workspace, args.scope, args.expires, args.label)
    finally:
        control.close()
    if args.json:
        print_json(created)
        return 0
    info = created.info
    print(created.token)
    print(f"{info.token_id}  tenant={info.tenant} workspace={info.workspace} scope={info.scope} "
          f"expires={_when(info.expires_at)}  (the token is shown only now; keep it secret)", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List tokens (ids and metadata, never values)."""
    control, tokens = _service(args)
    try:
        infos = tokens.list(args.tenant, args.scope_workspace)
    finally:
        control.close()
    if args.json:
        print_json([i.model_dump(mode="json") for i in infos])
        return 0
    if not infos:
        print("No tokens.")
    for i in infos:
        print(f"{i.token_id}  {i.status:<7} {i.scope:<5} {i.tenant}/{i.workspace}  expires {_when(i.expires_at)}"
              f"{'  ' + i.label if i.label else ''}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    """Revoke one token."""
    control, tokens = _service(args)
    try:
        info = tokens.revoke(args.id)
    finally:
        control.close()
    if args.json:
        print_json(info)
    else:
        print(f"{info.token_id} revoked at {_when(info.revoked_at)}")
    return 0
