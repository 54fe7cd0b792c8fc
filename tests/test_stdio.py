"""The real ``orchestra-mcp`` entry point as a stdio subprocess, as a host launches it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.helpers import BIN_DIR, clean_env

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_initialize_list_and_call(workspace: Path, mode: str) -> None:
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
                                   env=clean_env(), cwd=str(workspace))
    async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
        assert all(t.description for t in tools)
        for tool in tools:
            for name, schema in tool.input_schema.get("properties", {}).items():
                assert schema.get("description"), f"{tool.name}.{name}"
        added = await client.call_tool("task_add", {"id": "S1", "title": "over stdio"})
        assert added.is_error is False
        status = await client.call_tool("workspace_status", {})
        assert status.structured_content is not None
        assert status.structured_content["tasks"] == 1
        assert status.structured_content["root"] == str(workspace.resolve())


def test_raw_handshake_keeps_stdout_pure_json(workspace: Path) -> None:
    """Only JSON-RPC on stdout; the banner goes to stderr and names the workspace."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "raw-test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "task_add", "arguments": {"id": "R1", "title": "raw"}}},
    ]
    proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env())
    assert proc.stdin is not None and proc.stdout is not None
    responses = []
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            responses.append(json.loads(proc.stdout.readline()))
    rest, stderr = proc.communicate(timeout=30)  # closes stdin: EOF ends the server
    assert proc.returncode == 0
    assert rest.strip() == ""
    assert [r["id"] for r in responses] == [1, 2, 3]
    assert responses[0]["result"]["serverInfo"]["name"] == "orchestra"
    assert "instructions" in responses[0]["result"]
    assert responses[2]["result"]["structuredContent"]["id"] == "R1"
    assert stderr.splitlines()[0] == (f"orchestra-mcp: serving workspace {workspace.resolve()} (from flag) over stdio"
                                      " (not initialized yet: the first write creates .agent-workflow/)")


def test_startup_error_is_one_clean_line(tmp_path: Path) -> None:
    proc = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(tmp_path / "missing")],
                          capture_output=True, text=True, timeout=30, env=clean_env(), stdin=subprocess.DEVNULL,
                          check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("orchestra-mcp: workspace_invalid:")
    assert "Traceback" not in proc.stderr


def test_module_entry_point_matches(workspace: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "orchestra_mcp", "--help"], capture_output=True, text=True,
                          timeout=30, check=True)
    assert "--workspace" in proc.stdout


def test_interactive_banner_explains_how_to_connect(workspace: Path) -> None:
    from orchestra_mcp.__main__ import connect_hint

    text = connect_hint(str(workspace), "flag", interactive=True)
    assert "claude mcp add --scope project orchestra --" in text and "codex mcp add orchestra" in text
    assert connect_hint(str(workspace), "flag", interactive=False).count("\n") == 0


@pytest.mark.parametrize(
    ("args", "env", "config", "expected"),
    [
        ([], {}, None, {"core"}),
        (["--tools", "all"], {}, None, {"core", "security", "chat", "ledger", "media", "compliance"}),
        ([], {"ORCHESTRA_TOOLS": "chat"}, None, {"core", "chat"}),
        ([], {}, {"mcp": {"toolGroups": ["ledger"]}}, {"core", "ledger"}),
    ],
    ids=["default", "flag-all", "env", "config"],
)
async def test_tool_groups_select_what_is_exposed(workspace: Path, args: list[str], env: dict[str, str],
                                                  config: dict[str, object] | None, expected: set[str]) -> None:
    markers = {"core": "spawn_request", "security": "content_scan", "chat": "chat_respond", "ledger": "usage_report",
               "media": "transcription_preflight", "compliance": "fragment_restore"}
    if config is not None:
        (workspace / ".agent-workflow").mkdir()
        (workspace / ".agent-workflow" / "config.json").write_text(json.dumps(config))
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"),
                                   args=["--workspace", str(workspace), *args], env=clean_env(**env))
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        names = {t.name for t in (await client.list_tools()).tools}
    assert {group for group, tool in markers.items() if tool in names} == expected


def test_unknown_tool_group_is_a_clean_error(workspace: Path) -> None:
    proc = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace), "--tools", "core,nope"],
                          capture_output=True, text=True, timeout=30, env=clean_env(), stdin=subprocess.DEVNULL,
                          check=False)
    assert proc.returncode == 1 and "unknown tool group(s) nope" in proc.stderr and proc.stdout == ""


def test_log_lines_pass_the_guard(workspace: Path) -> None:
    """The SDK logs failed tool calls with their message, which can echo input: it must pass the guard."""
    canary = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "task_add", "arguments": {"id": "LOG-1", "title": f"rotate {canary}"}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "task_get", "arguments": {"task_id": canary}}},
    ]
    proc = subprocess.Popen([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(ORCHESTRA_LOG_LEVEL="DEBUG"))
    assert proc.stdin is not None and proc.stdout is not None
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            proc.stdout.readline()
    out, err = proc.communicate(timeout=30)
    assert "Tool 'task_get' failed" in err, "the test needs the SDK's failure log line"
    assert canary not in err and canary not in out


def test_requests_sent_before_stdin_closes_are_all_answered(workspace: Path) -> None:
    """A host that writes its calls and closes stdin gets every answer, and every acknowledged write is kept."""
    requests: list[dict[str, object]] = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "batch", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    requests += [{"jsonrpc": "2.0", "id": n, "method": "tools/call",
                  "params": {"name": "task_add", "arguments": {"title": f"batch {n}"}}} for n in range(2, 14)]
    done = subprocess.run([str(BIN_DIR / "orchestra-mcp"), "--workspace", str(workspace)], cwd=workspace,
                          env=clean_env(), input="".join(json.dumps(r) + "\n" for r in requests),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert sorted(a["id"] for a in answers) == list(range(1, 14))
    assert all("error" not in a and a.get("result", {}).get("isError") is False for a in answers[1:])
    listed = subprocess.run([str(BIN_DIR / "orchestra"), "--workspace", str(workspace), "task", "list", "--json"],
                            env=clean_env(), capture_output=True, text=True, timeout=60, check=True)
    assert len(json.loads(listed.stdout)) == 12
