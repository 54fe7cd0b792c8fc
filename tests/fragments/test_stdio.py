"""The compliance tools over the stdio entry point: a model cannot restore until an operator grants it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from orchestra.app import Orchestra
from tests.fragments.helpers import append, policy, write_config
from tests.helpers import BIN_DIR, clean_env, run_cli
from tests.surface_calls import person_approves

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_restore_over_stdio_needs_a_cli_grant(workspace: Path) -> None:
    write_config(workspace, policy())
    with Orchestra.open(workspace) as app:
        _, message = append(app, "password=StdioValue987Zq", "k-1")
        fid = app.fragments.list_fragments(source_id=message).fragments[0].fragment_id
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"),
                                   args=["--workspace", str(workspace), "--tools", "compliance"], env=clean_env())
    async with Client(params, mode="legacy", elicitation_callback=person_approves) as client:
        denied = await client.call_tool("fragment_restore", {"fragment_id": fid, "reason": "support"})
        assert (denied.structured_content or {})["status"] == "blocked_unauthorized"
        grant = run_cli("--workspace", str(workspace), "fragments", "grant", fid, "--json")
        grant_id = json.loads(grant.stdout)["grant_id"]
        allowed = await client.call_tool("fragment_restore", {"fragment_id": fid, "reason": "support",
                                                              "grant_id": grant_id})
        assert (allowed.structured_content or {})["plaintext"] == "StdioValue987Zq"
        shred = await client.call_tool("fragment_shred", {"fragment_id": fid, "reason_code": "done"})
        assert (shred.structured_content or {})["status"] == "crypto_shredded"
