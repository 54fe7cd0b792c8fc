"""Sessions never share files: long ids, rejected and queued requests, exclusive creation (issue 14 item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client, StdioServerParameters
from mcp.types import TextContent, TextResourceContents

from orchestra.delegation.artifacts import slug, write_all
from orchestra.workspace.atomic import FileExistsConflictError, create_exclusive
from tests.helpers import BIN_DIR, clean_env

TASK, RUN, PHASE = "T" + "a" * 63, "r" * 64, "p" * 50


def _workspace(root: Path, limit_action: str) -> None:
    (root / ".agent-workflow").mkdir(exist_ok=True)
    guardrails = {"maxConcurrentDelegates": 1, "limitAction": limit_action}
    (root / ".agent-workflow" / "config.json").write_text(
        json.dumps({"runtimePolicy": {"delegation": {"guardrails": guardrails}}}))


def _data(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content
    data: dict[str, Any] = result.structured_content
    return data


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("limit_action", ["reject", "queue"])
async def test_long_ids_never_share_or_delete_files_over_stdio(workspace: Path, mode: str,
                                                               limit_action: str) -> None:
    _workspace(workspace, limit_action)
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
                                   env=clean_env(), cwd=str(workspace))
    async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
        _data(await client.call_tool("task_add", {"id": TASK, "title": "long ids", "owner_role": "developer"}))
        args = {"task_id": TASK, "run_id": RUN, "phase": PHASE, "runtime": "claude-cli"}
        first = _data(await client.call_tool("spawn_request", args))
        assert first["status"] == "requested"
        second = await client.call_tool("spawn_request", args)
        first_prompt = workspace / first["artifacts"]["prompt"]
        if limit_action == "reject":
            assert second.is_error and isinstance(second.content[0], TextContent)
            assert "delegation_rejected:" in second.content[0].text
        else:
            queued = _data(second)
            assert queued["status"] == "queued"
            paths = {k: v for k, v in first["artifacts"].items() if v}
            assert not set(paths.values()) & set(queued["artifacts"].values())
            own = (workspace / queued["artifacts"]["prompt"]).read_text()
            assert queued["session_id"] in own and first["session_id"] not in own
        assert first_prompt.is_file(), "the admitted session's prompt was removed"
        text = first_prompt.read_text()
        assert first["session_id"] in text
        resource = (await client.read_resource(first["prompt_resource"])).contents[0]
        assert isinstance(resource, TextResourceContents) and first["session_id"] in resource.text
    runs = sorted(p.name for p in (workspace / ".agent-workflow" / "runs").iterdir())
    assert len(runs) == (4 if limit_action == "reject" else 8)
    assert not [name for name in runs if name.endswith(".tmp")]


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_distinct_ids_have_distinct_names(a: str, b: str) -> None:
    long_prefix = "T" + "a" * 63 + ":" + "r" * 64 + ":" + "p" * 60
    if a != b:
        assert slug(long_prefix + a) != slug(long_prefix + b)
        assert slug(a) != slug(b)
    assert slug(a) == slug(a)
    assert len(slug(long_prefix + a)) <= 80 + 1 + 32


def test_exclusive_create_never_replaces_or_removes_anothers_file(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "x-spawn-prompt.md"
    create_exclusive(target, b"first", sync=False)
    with pytest.raises(FileExistsConflictError):
        create_exclusive(target, b"second", sync=True)
    assert target.read_bytes() == b"first"
    other = "runs/y-spawn-request.md"
    with pytest.raises(FileExistsConflictError):  # the batch fails on the second file...
        write_all(tmp_path, {other: "mine", "runs/x-spawn-prompt.md": "theirs"})
    assert not (tmp_path / other).exists()  # ...removes what it created...
    assert target.read_bytes() == b"first"  # ...and leaves the other call's file alone
    assert [p.name for p in target.parent.iterdir()] == ["x-spawn-prompt.md"]
