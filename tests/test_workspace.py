"""Workspace root discovery, the path guard and config validation."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestra.app import Orchestra
from orchestra.errors import (
    ConfigError,
    OrchestraError,
    PathOutsideWorkspaceError,
    ValidationError,
    WorkspaceError,
)
from orchestra.workspace.config import OrchestraConfig, load_config, write_default_config
from orchestra.workspace.paths import guard_path
from orchestra.workspace.root import discover_root


def test_root_order_flag_env_claude_search_cwd(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in "abc")
    for folder in (a, b, c):
        folder.mkdir()
    env = {"ORCHESTRA_WORKSPACE": str(b), "CLAUDE_PROJECT_DIR": str(c)}
    assert discover_root(a, env=env, cwd=tmp_path).root == a.resolve()
    assert discover_root(None, env=env, cwd=tmp_path).root == b.resolve()
    assert discover_root(None, env={"CLAUDE_PROJECT_DIR": str(c)}, cwd=tmp_path).source == "CLAUDE_PROJECT_DIR"
    nested = tmp_path / "proj" / "src" / "pkg"
    nested.mkdir(parents=True)
    (tmp_path / "proj" / ".git").mkdir()
    assert discover_root(None, env={}, cwd=nested).root == (tmp_path / "proj").resolve()
    (tmp_path / "proj" / "src" / ".agent-workflow").mkdir()
    choice = discover_root(None, env={}, cwd=nested)
    assert choice.root == (tmp_path / "proj" / "src").resolve() and choice.source == "search:.agent-workflow"


def test_root_relative_flag_and_missing_dir(tmp_path: Path) -> None:
    (tmp_path / "rel").mkdir()
    assert discover_root("rel", env={}, cwd=tmp_path).root == (tmp_path / "rel").resolve()
    with pytest.raises(WorkspaceError):
        discover_root(tmp_path / "missing", env={}, cwd=tmp_path)
    with pytest.raises(WorkspaceError):
        discover_root(None, env={"ORCHESTRA_WORKSPACE": str(tmp_path / "nope")}, cwd=tmp_path)


def test_guard_accepts_inside_paths(workspace: Path) -> None:
    assert guard_path(workspace, "src/a.py").relative == "src/a.py"
    assert guard_path(workspace, "./src//b/./c").relative == "src/b/c"
    assert guard_path(workspace, "docs\\guide.md").relative == "docs/guide.md"
    assert guard_path(workspace, ".").relative == "."


@pytest.mark.parametrize("raw", ["/etc/passwd", "../outside", "src/../../x", "C:\\Windows", "\\\\server\\share",
                                 "a/../../b"])
def test_guard_refuses_escapes(workspace: Path, raw: str) -> None:
    with pytest.raises(PathOutsideWorkspaceError):
        guard_path(workspace, raw)


@pytest.mark.parametrize("raw", ["", "   ", "a\x00b", "x" * 2000])
def test_guard_refuses_malformed(workspace: Path, raw: str) -> None:
    with pytest.raises(ValidationError):
        guard_path(workspace, raw)


def test_guard_refuses_symlink_escape(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, workspace / "link")
    os.symlink("/etc/hostname", workspace / "file-link")
    with pytest.raises(PathOutsideWorkspaceError):
        guard_path(workspace, "link/secret.txt")
    with pytest.raises(PathOutsideWorkspaceError):
        guard_path(workspace, "file-link")
    os.symlink(workspace / "src", workspace / "inner-link")
    assert guard_path(workspace, "inner-link/x.py").relative == "src/x.py"


def test_config_defaults_match_the_seed(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    assert write_default_config(path)
    assert not write_default_config(path)
    data = json.loads(path.read_text())
    guardrails = data["runtimePolicy"]["delegation"]["guardrails"]
    assert guardrails == {
        "maxConcurrentDelegates": 3, "maxDelegationDepth": 1, "maxSpawnsPerTask": 3, "spawnBudgetTokens": 6000,
        "contextBudgetTokens": 3000, "timeoutMs": 600000, "staleClaimTtlMs": 1800000,
        "allowNestedDelegation": False, "limitAction": "queue", "handoffMaxChars": 4000,
    }
    assert data["runtimePolicy"]["defaults"] == {"executor": "generic-runtime"}
    assert data["providers"]["defaults"]["provider"] == "none"
    assert load_config(path) == OrchestraConfig()


def test_config_keeps_unknown_top_level_sections(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"projectName": "x", "runtimePolicy": {"defaults": {"executor": "claude-cli"}}}))
    config = load_config(path)
    assert config.runtime_policy.defaults.executor == "claude-cli"
    assert json.loads(config.to_json())["projectName"] == "x"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "must contain a JSON object"),
        ('{"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": 0}}}}',
         "runtimePolicy.delegation.guardrails.maxConcurrentDelegates"),
        ('{"runtimePolicy": {"delegation": {"guardrails": {"maxConcurentDelegates": 5}}}}',
         "maxConcurentDelegates"),
        ('{"runtimePolicy": {"delegation": {"guardrails": {"limitAction": "explode"}}}}', "limitAction"),
        ('{"budgets": {"defaults": {"maxEstimatedCostUsd": -1}}}', "budgets.defaults.maxEstimatedCostUsd"),
    ],
)
def test_config_errors_name_the_bad_key(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert needle in caught.value.message
    assert caught.value.code == "config_invalid"


def test_config_too_large(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{" + " " * 1_100_000 + "}")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(path)


@settings(max_examples=300, deadline=None)
@given(raw=st.text(alphabet=st.sampled_from(list("ab./\\\x00 ~:")) | st.characters(), max_size=40))
def test_guard_never_returns_a_path_outside(raw: str) -> None:
    root = Path(tempfile.gettempdir()) / "orchestra-guard-prop"
    root.mkdir(exist_ok=True)
    try:
        guarded = guard_path(root, raw)
    except OrchestraError:
        return
    assert guarded.absolute == root.resolve() or root.resolve() in guarded.absolute.parents
    assert not guarded.relative.startswith("/") and ".." not in guarded.relative.split("/")


def test_guard_refuses_symlink_loops_and_surrogates(workspace: Path) -> None:
    os.symlink(workspace / "loop-b", workspace / "loop-a")
    os.symlink(workspace / "loop-a", workspace / "loop-b")
    with pytest.raises(OrchestraError):
        guard_path(workspace, "loop-a/x")
    with pytest.raises(ValidationError):
        guard_path(workspace, "bad\udd00name")


@pytest.mark.parametrize(("config", "expected"), [
    ({"chat": {"maxMessagesPerThread": "x"}}, "config.json chat.maxMessagesPerThread: "),
    ({"restrictedFragments": {"policies": [{"mode": "bogus"}]}}, "config.json restrictedFragments.policies[0]"),
    ({"capacity": {"maxActive": True}}, "config.json key 'capacity.maxActive'"),
])
def test_a_config_error_names_its_section(tmp_path: Path, config: dict[str, object], expected: str) -> None:
    (tmp_path / ".agent-workflow").mkdir()
    (tmp_path / ".agent-workflow" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        app = Orchestra.open(tmp_path)
        app.chat  # noqa: B018 - the chat section is read when the chat service is first built
    assert expected in caught.value.message, caught.value.message
