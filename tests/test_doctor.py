"""``orchestra doctor`` through the CLI: a healthy workspace, a missing binary, a corrupt database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import BIN_DIR, run_cli


def _doctor(workspace: Path, *extra: str) -> tuple[int, dict[str, dict[str, str]]]:
    done = run_cli("doctor", "--json", *extra, cwd=workspace, timeout=600)
    report = json.loads(done.stdout)
    return done.returncode, {c["name"]: c for c in report["checks"]}


def test_healthy_workspace(workspace: Path) -> None:
    assert run_cli("init", "--target", "claude", cwd=workspace).returncode == 0
    assert run_cli("task", "add", "--title", "x", cwd=workspace).returncode == 0
    code, checks = _doctor(workspace)
    assert {n: c["status"] for n, c in checks.items()} == {
        "workspace": "ok", "config.json": "ok", "database": "ok", "audit chain": "ok", "workspace key": "ok",
        ".mcp.json": "ok", ".claude/settings.json": "ok", "mcp server": "ok"}, checks
    assert code == 0


def test_missing_binary_is_named(workspace: Path) -> None:
    assert run_cli("init", "--target", "claude,cursor", cwd=workspace).returncode == 0
    mcp = workspace / ".mcp.json"
    data = json.loads(mcp.read_text())
    data["mcpServers"]["orchestra"]["command"] = str(workspace / "gone" / "orchestra-mcp")
    mcp.write_text(json.dumps(data))
    hooks = workspace / ".cursor" / "hooks.json"
    text = hooks.read_text()
    assert str(BIN_DIR / "orchestra") in text
    hooks.write_text(text.replace(str(BIN_DIR / "orchestra"), "/nowhere/orchestra"))
    code, checks = _doctor(workspace, "--no-server")
    assert code == 1
    assert checks[".mcp.json"]["status"] == "fail" and "not found" in checks[".mcp.json"]["detail"]
    assert checks[".cursor/hooks.json"]["status"] == "fail"
    assert "/nowhere/orchestra: not found" in checks[".cursor/hooks.json"]["detail"]
    assert checks[".cursor/mcp.json"]["status"] == "ok"


@pytest.mark.sqlite_only
def test_corrupt_database_is_reported_as_corrupt(workspace: Path) -> None:
    assert run_cli("init", cwd=workspace).returncode == 0
    (workspace / ".agent-workflow" / "state.db").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (workspace / ".agent-workflow" / f"state.db{suffix}").unlink(missing_ok=True)
    code, checks = _doctor(workspace, "--no-server")
    assert code == 1 and checks["database"]["status"] == "fail" and "corrupt" in checks["database"]["detail"]
    health = run_cli("health", cwd=workspace)
    assert "the state database is corrupt" in health.stdout and "no state database yet" not in health.stdout


def test_uninitialized_folder_creates_nothing(workspace: Path) -> None:
    code, checks = _doctor(workspace)
    assert code == 1 and "not initialized" in checks["workspace"]["detail"]
    assert sorted(p.name for p in workspace.iterdir()) == [".git"]


def test_an_invalid_config_is_named_with_its_key(workspace: Path) -> None:
    assert run_cli("init", cwd=workspace).returncode == 0
    config = workspace / ".agent-workflow" / "config.json"
    data = json.loads(config.read_text())
    data.setdefault("security", {}).setdefault("toolPolicy", {})["actoins"] = {}
    config.write_text(json.dumps(data))
    code, checks = _doctor(workspace, "--no-server")
    assert code == 1
    assert checks["config.json"]["status"] == "fail"
    assert "security.toolPolicy" in checks["config.json"]["detail"] and "actoins" in checks["config.json"]["detail"]
    config.write_text("{broken")
    code, checks = _doctor(workspace, "--no-server")
    assert code == 1 and "not valid JSON" in checks["config.json"]["detail"]
