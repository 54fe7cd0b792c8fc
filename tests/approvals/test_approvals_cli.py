"""The person's path across processes: the MCP call is refused with an approval id, ``orchestra approve``
runs as a subprocess (at a pseudo-terminal, or unattended with --yes and ORCHESTRA_APPROVER), and the
same call then proceeds once; ``orchestra deny`` and ``orchestra approvals list``."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.helpers import BIN_DIR, clean_env, run_cli

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _text(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def _refused_delete(client: Client) -> tuple[str, dict[str, Any]]:
    await client.call_tool("task_add", {"id": "T-1", "title": "Ship"})
    thread = (await client.call_tool("chat_thread_create", {"title": "Plan", "task_id": "T-1"})).structured_content
    call = {"scope": "thread", "thread_id": thread["id"], "reason_code": "user_request"}
    text = _text(await client.call_tool("chat_delete", call))
    assert text.startswith("approval_required: "), text
    return text.split("approval id ", 1)[1].split()[0], call


def _approve_at_a_terminal(workspace: Path, approval_id: str, typed: str) -> tuple[int, str]:
    """Run ``orchestra approve <id>`` with a pseudo-terminal as stdin and stderr, typing ``typed``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(BIN_DIR / "orchestra"), "approve", approval_id, "--workspace", str(workspace)],
                            stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=clean_env())
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"to allow it once" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            seen += os.read(master, 4096)
    os.write(master, typed.encode() + b"\n")
    out, _ = proc.communicate(timeout=60)
    try:
        while select.select([master], [], [], 0.2)[0]:
            seen += os.read(master, 4096)
    except OSError:
        pass
    os.close(master)
    return proc.returncode, (seen + out).decode(errors="replace")


async def test_approve_at_a_terminal_then_the_same_call_runs_once(workspace: Path) -> None:
    with Orchestra.open(workspace) as app:
        async with Client(create_server(app, ["chat"]), mode="legacy") as client:
            approval_id, call = await _refused_delete(client)

            no_tty = run_cli("approve", approval_id, "--workspace", str(workspace))
            assert no_tty.returncode == 1 and "needs a person at a terminal" in no_tty.stderr
            code, shown = _approve_at_a_terminal(workspace, approval_id, "yes please")
            assert code == 1 and "not confirmed" in shown and "chat_delete" in shown
            assert app.approvals.get(approval_id).status.value == "pending"

            code, shown = _approve_at_a_terminal(workspace, approval_id, "approve")
            assert code == 0 and f"Granted {approval_id}" in shown, shown
            done = await client.call_tool("chat_delete", call)
            assert done.is_error is False, done.content
            again = await client.call_tool("chat_delete", call)
            assert _text(again).startswith("approval_required: ") and approval_id not in _text(again)
        granted = app.approvals.get(approval_id)
        assert granted.status.value == "consumed" and granted.decided_via == "cli"


async def test_unattended_approve_needs_the_operator_variable_and_deny_refuses(workspace: Path) -> None:
    with Orchestra.open(workspace) as app:
        async with Client(create_server(app, ["chat"]), mode="auto") as client:
            approval_id, call = await _refused_delete(client)
            bare = run_cli("approve", approval_id, "--yes", "--workspace", str(workspace))
            assert bare.returncode == 1 and "ORCHESTRA_APPROVER" in bare.stderr

            listed = run_cli("approvals", "list", "--status", "pending", "--json", "--workspace", str(workspace))
            assert listed.returncode == 0, listed.stderr
            [row] = json.loads(listed.stdout)["approvals"]
            assert row["approval_id"] == approval_id and row["action"] == "chat_delete"

            denied = run_cli("deny", approval_id, "--workspace", str(workspace))
            assert denied.returncode == 0 and f"Denied {approval_id}" in denied.stdout, denied.stderr
            refused = await client.call_tool("chat_delete", call)
            assert _text(refused).startswith("approval_denied: ")
            late = run_cli("approve", approval_id, "--yes", "--workspace", str(workspace),
                           env=clean_env(ORCHESTRA_APPROVER="ops"))
            assert late.returncode == 1 and "not pending" in late.stderr

            other = {**call, "reason_code": "retention_policy"}
            second = _text(await client.call_tool("chat_delete", other)).split("approval id ", 1)[1].split()[0]
            ok = run_cli("approve", second, "--yes", "--json", "--workspace", str(workspace),
                         env=clean_env(ORCHESTRA_APPROVER="ops"))
            assert ok.returncode == 0, ok.stderr
            assert json.loads(ok.stdout)["decided_via"] == "cli-unattended"
            done = await client.call_tool("chat_delete", other)
            assert done.is_error is False, done.content
        text = run_cli("approvals", "list", "--workspace", str(workspace))
        assert approval_id in text.stdout and "denied" in text.stdout and "consumed" in text.stdout
