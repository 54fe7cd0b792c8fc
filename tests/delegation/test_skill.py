"""The delegation skill: installed by `orchestra init --target claude`, identical to skills/ in the repo."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_init_claude_installs_the_skill(workspace: Path) -> None:
    result = run_cli("init", "--target", "claude", "--workspace", str(workspace))
    assert result.returncode == 0, result.stderr
    installed = workspace / ".claude" / "skills" / "orchestra-delegation" / "SKILL.md"
    text = installed.read_text()
    assert text.startswith("---\nname: orchestra-delegation\ndescription: ")
    assert "spawn_request" in text and "session_wait" in text
    assert text == (ROOT / "skills" / "orchestra-delegation" / "SKILL.md").read_text(), \
        "skills/orchestra-delegation/SKILL.md is stale: copy it from a fresh `orchestra init --target claude`"
    before = installed.read_bytes()
    assert run_cli("init", "--target", "claude", "--workspace", str(workspace)).returncode == 0
    assert installed.read_bytes() == before
