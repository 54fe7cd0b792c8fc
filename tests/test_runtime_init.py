"""``orchestra init --target …`` through the CLI: merging, idempotence, backups, check and dry-run."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from tests.helpers import clean_env, run_cli

ALL = "claude,cursor,codex,vscode,windsurf,generic"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def _user_files(root: Path) -> None:
    _write(root, ".mcp.json", json.dumps({"mcpServers": {"github": {"command": "gh-mcp", "args": ["--x"]}}}))
    _write(root, ".claude/settings.json", json.dumps({
        "permissions": {"allow": ["Bash(ls)"]},
        "hooks": {"UserPromptSubmit": [{"matcher": "", "hooks": [{"type": "command", "command": "echo mine"}]}],
                  "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]},
        "model": "opus",
    }, indent=4))
    _write(root, ".cursor/mcp.json", json.dumps({"mcpServers": {"db": {"url": "http://localhost:9"}}}))
    cursor_hooks = {"stop": [{"command": "./stop.sh"}], "beforeSubmitPrompt": [{"command": "./p.sh"}]}
    _write(root, ".cursor/hooks.json", json.dumps({"version": 1, "hooks": cursor_hooks}))
    _write(root, ".cursor/rules/style.mdc", "---\nalwaysApply: true\n---\nUse tabs.\n")
    _write(root, ".codex/config.toml", 'model = "o3"\n\n[mcp_servers.other]\ncommand = "other-mcp"\n')
    _write(root, ".codex/hooks.json", json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "command",
                                                                                  "command": "notify"}]}]}}))
    _write(root, "AGENTS.md", "# Team rules\n\nRun the tests.\n")
    _write(root, ".vscode/mcp.json", json.dumps({"inputs": [{"id": "tok", "type": "promptString"}],
                                                 "servers": {"gh": {"type": "http", "url": "https://x"}}}))
    _write(root, ".windsurf/rules/team.md", "Be brief.\n")


def test_init_merges_into_existing_user_files_and_keeps_everything(workspace: Path, tmp_path: Path) -> None:
    _user_files(workspace)
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli("init", "--target", ALL, "--json", cwd=workspace, env=clean_env(HOME=str(home)))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["runtime"]
    actions = {f["path"]: f["action"] for f in report["files"]}
    assert actions == {
        ".mcp.json": "update", ".claude/settings.json": "update", ".cursor/mcp.json": "update",
        ".claude/skills/orchestra-delegation/SKILL.md": "create",
        ".cursor/hooks.json": "update", ".cursor/rules/orchestra-health.mdc": "create",
        ".codex/config.toml": "update", ".codex/hooks.json": "update", "AGENTS.md": "update",
        ".vscode/mcp.json": "update", ".windsurf/rules/orchestra.md": "create",
        "~/.codeium/windsurf/mcp_config.json": "manual", "ORCHESTRA.md": "create",
    }
    assert list(home.iterdir()) == []  # the home directory is never touched without --windsurf-global

    mcp = json.loads((workspace / ".mcp.json").read_text())["mcpServers"]
    assert mcp["github"] == {"command": "gh-mcp", "args": ["--x"]}
    assert mcp["orchestra"]["type"] == "stdio" and mcp["orchestra"]["command"].endswith("orchestra-mcp")

    settings = json.loads((workspace / ".claude/settings.json").read_text())
    assert settings["permissions"] == {"allow": ["Bash(ls)"]} and settings["model"] == "opus"
    assert settings["hooks"]["Stop"] == [{"hooks": [{"type": "command", "command": "say done"}]}]
    prompt_commands = [h["command"] for g in settings["hooks"]["UserPromptSubmit"] for h in g["hooks"]]
    assert prompt_commands[0] == "echo mine"
    assert "health --runtime claude-cli --hook-session" in prompt_commands[1]
    assert settings["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"

    cursor_hooks = json.loads((workspace / ".cursor/hooks.json").read_text())["hooks"]
    assert cursor_hooks["stop"] == [{"command": "./stop.sh"}]
    assert cursor_hooks["beforeSubmitPrompt"][0] == {"command": "./p.sh"}
    assert "cursor-cli" in cursor_hooks["beforeSubmitPrompt"][1]["command"]
    assert "cursor-cli" in cursor_hooks["sessionStart"][0]["command"]
    assert json.loads((workspace / ".cursor/mcp.json").read_text())["mcpServers"]["db"] == {"url": "http://localhost:9"}
    assert (workspace / ".cursor/rules/style.mdc").read_text() == "---\nalwaysApply: true\n---\nUse tabs.\n"
    mdc = (workspace / ".cursor/rules/orchestra-health.mdc").read_text()
    assert mdc.startswith("---\ndescription:") and "alwaysApply: true" in mdc and "content-sha256=" in mdc

    toml = tomllib.loads((workspace / ".codex/config.toml").read_text())
    assert toml["model"] == "o3" and toml["mcp_servers"]["other"] == {"command": "other-mcp"}
    assert toml["mcp_servers"]["orchestra"]["command"].endswith("orchestra-mcp")
    codex_hooks = json.loads((workspace / ".codex/hooks.json").read_text())["hooks"]
    assert codex_hooks["Stop"][0]["hooks"][0]["command"] == "notify"
    assert "--quiet" in codex_hooks["SessionStart"][0]["hooks"][0]["command"]
    agents = (workspace / "AGENTS.md").read_text()
    assert agents.startswith("# Team rules\n\nRun the tests.\n\n<!-- open-orchestra:start")

    vscode = json.loads((workspace / ".vscode/mcp.json").read_text())
    assert vscode["inputs"] == [{"id": "tok", "type": "promptString"}] and "gh" in vscode["servers"]
    assert vscode["servers"]["orchestra"]["args"] == ["--workspace", "${workspaceFolder}"]
    assert (workspace / ".windsurf/rules/team.md").read_text() == "Be brief.\n"
    assert any("codex mcp add orchestra" in n for n in report["notes"])
    assert any("trusted" in n for n in report["notes"]) and any("codex_hooks" in n for n in report["notes"])


def test_second_run_is_byte_identical_and_check_passes(workspace: Path) -> None:
    _user_files(workspace)
    assert run_cli("init", "--target", ALL, cwd=workspace).returncode == 0
    before = _snapshot(workspace)
    again = run_cli("init", "--target", ALL, "--json", cwd=workspace)
    assert again.returncode == 0
    assert {f["action"] for f in json.loads(again.stdout)["runtime"]["files"]} == {"unchanged", "manual"}
    assert _snapshot(workspace) == before
    assert run_cli("init", "--target", ALL, "--check", cwd=workspace).returncode == 0


def test_corrupt_claude_settings_is_backed_up_and_reported(workspace: Path) -> None:
    broken = '{"permissions": {"allow": ["Bash(ls)"]},, oops'
    _write(workspace, ".claude/settings.json", broken)
    result = run_cli("init", "--target", "claude", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    entry = next(f for f in json.loads(result.stdout)["runtime"]["files"] if f["path"] == ".claude/settings.json")
    assert entry["action"] == "repair" and "invalid JSON" in entry["note"]
    backup = workspace / entry["backup"]
    assert backup.parent == workspace / ".claude" and backup.name.startswith("settings.json.orchestra-backup-")
    assert backup.read_text() == broken
    assert "SessionStart" in json.loads((workspace / ".claude/settings.json").read_text())["hooks"]
    # a second run finds a valid file and leaves everything alone
    again = json.loads(run_cli("init", "--target", "claude", "--json", cwd=workspace).stdout)
    assert again["runtime"]["changed"] is False


def test_dry_run_writes_nothing_and_check_fails_until_installed(workspace: Path) -> None:
    _user_files(workspace)
    before = _snapshot(workspace)
    dry = run_cli("init", "--target", ALL, "--dry-run", cwd=workspace)
    assert dry.returncode == 0 and "would create" in dry.stdout
    assert _snapshot(workspace) == before and not (workspace / ".agent-workflow").exists()
    check = run_cli("init", "--target", "claude", "--check", "--json", cwd=workspace)
    assert check.returncode == 1 and json.loads(check.stdout)["runtime"]["changed"] is True
    assert _snapshot(workspace) == before


def test_hand_edited_block_is_drift(workspace: Path) -> None:
    assert run_cli("init", "--target", "codex", cwd=workspace).returncode == 0
    agents = workspace / "AGENTS.md"
    edited = agents.read_text().replace("never call model providers directly", "call whatever you like")
    agents.write_text(edited)
    check = run_cli("init", "--target", "codex", "--check", "--json", cwd=workspace)
    assert check.returncode == 1
    report = json.loads(check.stdout)["runtime"]
    assert report["drift"] is True
    assert next(f for f in report["files"] if f["path"] == "AGENTS.md")["action"] == "drift"
    assert run_cli("init", "--target", "codex", cwd=workspace).returncode == 0
    assert agents.read_text() == edited  # left alone without --force
    assert run_cli("init", "--target", "codex", "--force", cwd=workspace).returncode == 0
    assert "never call model providers directly" in agents.read_text()
    assert run_cli("init", "--target", "codex", "--check", cwd=workspace).returncode == 0


def test_jsonc_is_merged_with_comments_kept_and_foreign_entries_conflict(workspace: Path) -> None:
    jsonc = '{\n  // my servers\n  "servers": {"gh": {"type": "http", "url": "https://x"},},\n}\n'
    _write(workspace, ".vscode/mcp.json", jsonc)
    toml = '[mcp_servers.orchestra]\ncommand = "my-own-build"\n'
    _write(workspace, ".codex/config.toml", toml)
    result = run_cli("init", "--target", "vscode,codex", "--json", cwd=workspace)
    assert result.returncode == 1  # a target in conflict: plain init says so
    report = json.loads(result.stdout)["runtime"]
    files = {f["path"]: f for f in report["files"]}
    assert report["conflict"] is True
    assert files[".vscode/mcp.json"]["action"] == "update"
    assert files[".codex/config.toml"]["action"] == "conflict"
    merged = (workspace / ".vscode/mcp.json").read_text()
    assert merged.startswith('{\n  // my servers\n  "servers": {"gh": {"type": "http", "url": "https://x"},')
    from orchestra.runtime.install.jsonfiles import strip_jsonc

    servers = json.loads(strip_jsonc(merged))["servers"]
    assert servers["gh"] == {"type": "http", "url": "https://x"} and servers["orchestra"]["type"] == "stdio"
    again = run_cli("init", "--target", "vscode", "--json", cwd=workspace)
    assert again.returncode == 0
    assert json.loads(again.stdout)["runtime"]["files"][0]["action"] == "unchanged"
    assert (workspace / ".codex/config.toml").read_text() == toml


def test_hand_edited_json_entries_are_drift_kept_unless_force(workspace: Path) -> None:
    assert run_cli("init", "--target", "claude", cwd=workspace).returncode == 0
    mcp = workspace / ".mcp.json"
    data = json.loads(mcp.read_text())
    data["mcpServers"]["orchestra"]["args"] = ["--tools", "all"]
    mcp.write_text(json.dumps(data, indent=2) + "\n")
    settings = workspace / ".claude/settings.json"
    hooks = json.loads(settings.read_text())
    hooks["hooks"]["SubagentStop"][0]["hooks"][0]["timeout"] = 30
    settings.write_text(json.dumps(hooks, indent=2) + "\n")
    edited = {p: p.read_text() for p in (mcp, settings)}
    check = run_cli("init", "--target", "claude", "--check", "--json", cwd=workspace)
    assert check.returncode == 1
    report = json.loads(check.stdout)["runtime"]
    files = {f["path"]: f for f in report["files"]}
    assert report["drift"] is True
    assert files[".mcp.json"]["action"] == "drift" and "args edited by hand" in files[".mcp.json"]["note"]
    assert files[".claude/settings.json"]["action"] == "drift"
    assert "hooks.SubagentStop: timeout edited by hand" in files[".claude/settings.json"]["note"]
    assert run_cli("init", "--target", "claude", cwd=workspace).returncode == 0
    assert {p: p.read_text() for p in (mcp, settings)} == edited  # kept
    assert run_cli("init", "--target", "claude", "--force", cwd=workspace).returncode == 0
    assert json.loads(mcp.read_text())["mcpServers"]["orchestra"]["args"] == []
    assert run_cli("init", "--target", "claude", "--check", cwd=workspace).returncode == 0


def test_json_formatting_outside_our_lines_is_kept(workspace: Path) -> None:
    original = ('{\r\n    "model": "opus",\r\n    "permissions": { "allow": ["Bash(ls)"] },\r\n'
                '    "hooks": {\r\n        "Stop": [ { "hooks": [ { "type": "command", "command": "say done" } ] } ]'
                '\r\n    }\r\n}\r\n')
    _write(workspace, ".claude/settings.json", original)
    (workspace / ".claude/settings.json").write_bytes(original.encode())
    assert run_cli("init", "--target", "claude", cwd=workspace).returncode == 0
    text = (workspace / ".claude/settings.json").read_bytes().decode()
    assert text.startswith('{\r\n    "model": "opus",\r\n    "permissions": { "allow": ["Bash(ls)"] },\r\n'
                           '    "hooks": {\r\n        "Stop": [ { "hooks": [ { "type": "command", '
                           '"command": "say done" } ] } ],\r\n        "SessionStart": [')
    assert "\n" not in text.replace("\r\n", "")
    data = json.loads(text)
    assert data["model"] == "opus" and data["permissions"] == {"allow": ["Bash(ls)"]}
    assert {"Stop", "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "SubagentStop"} <= set(
        data["hooks"])


def test_invalid_json_is_reported_as_invalid(workspace: Path) -> None:
    _write(workspace, ".cursor/mcp.json", '{"mcpServers": {"db": }\n')
    result = run_cli("init", "--target", "cursor", "--json", cwd=workspace)
    files = {f["path"]: f for f in json.loads(result.stdout)["runtime"]["files"]}
    assert files[".cursor/mcp.json"]["action"] == "repair"
    assert "invalid JSON at line 1" in files[".cursor/mcp.json"]["note"] and "comments" not in \
        files[".cursor/mcp.json"]["note"]


def test_windsurf_global_writes_home_only_when_asked(workspace: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".codeium" / "windsurf" / "mcp_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {"fs": {"command": "fs-mcp"}}}))
    env = clean_env(HOME=str(home))
    result = run_cli("init", "--target", "windsurf", "--windsurf-global", "--json", cwd=workspace, env=env)
    assert result.returncode == 0, result.stderr
    servers = json.loads(config.read_text())["mcpServers"]
    assert servers["fs"] == {"command": "fs-mcp"}
    assert servers["orchestra"]["args"] == ["--workspace", str(workspace.resolve())]


def test_unknown_target_writes_nothing(workspace: Path) -> None:
    result = run_cli("init", "--target", "claude,emacs", cwd=workspace)
    assert result.returncode == 1 and "unknown runtime target: emacs" in result.stderr
    assert list(workspace.iterdir()) == [workspace / ".git"]


def test_symlink_escape_is_refused(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / ".cursor").symlink_to(outside, target_is_directory=True)
    result = run_cli("init", "--target", "cursor", "--json", cwd=workspace)
    files = json.loads(result.stdout)["runtime"]["files"]
    assert {f["action"] for f in files} == {"conflict"}
    assert list(outside.iterdir()) == []
