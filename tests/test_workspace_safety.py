"""Workspace safety: discovery stops at the project, and reading never creates state.

Each case runs the real console scripts (or the real server) with ``HOME`` pointed at a
folder of the test's own, so the user's home is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from orchestra.app import Orchestra
from orchestra.errors import WorkspaceError
from orchestra.workspace.locate import locate_root
from orchestra_mcp.server import create_server
from tests.helpers import BIN_DIR, clean_env, run_cli

READ_COMMANDS = (["status"], ["status", "--json"], ["task", "list"], ["task", "show", "T-1"], ["audit", "verify"],
                 ["health"], ["health", "--json"], ["health", "--runtime", "claude-cli"])


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.relative_to(root).parts[:1])


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def _env(home: Path, **extra: str) -> dict[str, str]:
    return clean_env(HOME=str(home), **extra)


# -- discovery --------------------------------------------------------------------------------------------------


def test_nearest_marker_wins_whichever_it_is(tmp_path: Path) -> None:
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    deep = inner / "src" / "pkg"
    deep.mkdir(parents=True)
    env = {"HOME": str(tmp_path / "nohome")}
    (outer / ".agent-workflow").mkdir()
    (inner / ".git").mkdir()
    assert locate_root(env=env, cwd=str(deep)) == (str(inner.resolve()), "search:.git")
    assert locate_root(env=env, cwd=str(outer)) == (str(outer.resolve()), "search:.agent-workflow")
    # the other way round: a git repository above, Orchestra's folder below
    other_outer, other_inner = tmp_path / "repo", tmp_path / "repo" / "service"
    (other_inner / "lib").mkdir(parents=True)
    (other_outer / ".git").mkdir()
    (other_inner / ".agent-workflow").mkdir()
    assert locate_root(env=env, cwd=str(other_inner / "lib")) == (str(other_inner.resolve()), "search:.agent-workflow")
    assert locate_root(env=env, cwd=str(other_outer)) == (str(other_outer.resolve()), "search:.git")


def test_git_is_a_boundary_even_as_a_file(tmp_path: Path) -> None:
    (tmp_path / ".agent-workflow").mkdir()
    worktree = tmp_path / "checkout"
    (worktree / "a").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere\n")  # worktrees and submodules have a .git file
    assert locate_root(env={"HOME": "/nonexistent"}, cwd=str(worktree / "a"))[0] == str(worktree.resolve())


def test_home_and_root_are_never_chosen_by_search(home: Path) -> None:
    (home / ".agent-workflow").mkdir()
    (home / ".git").mkdir()  # a dotfiles repository in the home folder
    loose = home / "notes" / "drafts"
    loose.mkdir(parents=True)
    root, source = locate_root(env={"HOME": str(home)}, cwd=str(loose))
    assert (root, source) == (str(loose.resolve()), "cwd")
    with pytest.raises(WorkspaceError, match="home folder"):
        locate_root(env={"HOME": str(home)}, cwd=str(home))
    with pytest.raises(WorkspaceError):
        locate_root(env={"HOME": str(home)}, cwd="/")
    # named explicitly, the home folder is allowed
    assert locate_root(str(home), env={"HOME": str(home)}, cwd="/")[1] == "flag"
    assert locate_root(env={"HOME": str(home), "ORCHESTRA_WORKSPACE": str(home)}, cwd="/")[0] == str(home.resolve())


def test_init_in_a_project_below_a_marked_home_edits_only_the_project(home: Path) -> None:
    (home / ".agent-workflow").mkdir()
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"theme": "dark"}\n')
    before = _tree(home / ".claude"), (home / ".claude" / "settings.json").read_text()
    project = home / "code" / "app"
    project.mkdir(parents=True)
    _git(project, "init", "-q")
    result = run_cli("init", "--target", "claude,codex", "--json", cwd=project, env=_env(home))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["root"] == str(project.resolve())
    assert (project / ".claude" / "settings.json").is_file() and (project / ".codex" / "config.toml").is_file()
    assert (_tree(home / ".claude"), (home / ".claude" / "settings.json").read_text()) == before
    assert not (home / ".codex").exists()
    assert sorted(p.name for p in (home / ".agent-workflow").iterdir()) == []


def test_commands_in_the_home_folder_refuse_without_a_name(home: Path) -> None:
    for args in (["init"], ["status"], ["task", "add", "T-1", "--title", "x"]):
        result = run_cli(*args, cwd=home, env=_env(home))
        assert result.returncode == 1 and "home folder" in result.stderr, args
    hook = run_cli("health", "--runtime", "claude-cli", "--hook-session", cwd=home, env=_env(home),
                   input_text=json.dumps({"session_id": "s", "cwd": str(home)}))
    assert hook.returncode == 0 and hook.stdout == "" and hook.stderr == ""
    assert list(home.iterdir()) == []


# -- reading never creates state --------------------------------------------------------------------------------


def test_read_commands_create_nothing(workspace: Path, home: Path) -> None:
    for args in READ_COMMANDS:
        result = run_cli(*args, cwd=workspace, env=_env(home))
        if args[0] != "health":
            assert result.returncode == 1, args
            assert "not_initialized" in result.stderr and "orchestra init" in result.stderr, args
        else:
            assert result.returncode == 0 and "not initialized" in result.stdout, args
    assert sorted(p.name for p in workspace.iterdir()) == [".git"]


@pytest.mark.sqlite_only
def test_first_write_creates_the_folder_with_its_gitignore(workspace: Path, home: Path) -> None:
    _git(workspace.parent, "init", "-q", str(workspace))
    added = run_cli("task", "add", "T-1", "--title", "first write", cwd=workspace, env=_env(home))
    assert added.returncode == 0, added.stderr
    folder = workspace / ".agent-workflow"
    assert (folder / ".gitignore").is_file() and (folder / "state.db").is_file()
    assert _git(workspace, "status", "--porcelain", "--untracked-files=all") == "?? .agent-workflow/.gitignore\n"


@pytest.mark.sqlite_only
def test_git_status_shows_only_what_init_adds(workspace: Path, home: Path) -> None:
    _git(workspace.parent, "init", "-q", str(workspace))
    result = run_cli("init", "--target", "claude,cursor,codex", "--json", cwd=workspace, env=_env(home))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = {p for p in report["created"] if (workspace / p).is_file()}
    expected |= {c["path"] for c in report["runtime"]["files"] if (workspace / c["path"]).is_file()}
    expected -= {".agent-workflow/state.db"}
    for args in (["task", "add", "T-1", "--title", "x", "--path", "src"], ["status"], ["audit", "verify"],
                 ["health", "--runtime", "claude-cli"]):
        assert run_cli(*args, cwd=workspace, env=_env(home)).returncode == 0, args
    listed = set(_git(workspace, "status", "--porcelain", "--untracked-files=all").split("\n")) - {""}
    assert {line[3:] for line in listed} == expected
    assert all(not p.startswith(".agent-workflow/") or p.endswith((".gitignore", "config.json")) for p in expected)


# -- the MCP server --------------------------------------------------------------------------------------------


@pytest.fixture(params=["legacy", "auto"])
async def attached(request: pytest.FixtureRequest, workspace: Path) -> AsyncIterator[Client]:
    app = Orchestra.attach(workspace)
    try:
        async with Client(create_server(app), mode=request.param) as client:
            yield client
    finally:
        app.close()


@pytest.mark.anyio
async def test_read_only_tools_and_resources_create_nothing(attached: Client, workspace: Path) -> None:
    tools = {t.name: t for t in (await attached.list_tools()).tools}
    read_only = [n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint]
    assert "workspace_status" in read_only and "task_list" in read_only
    for name in read_only:
        args = {"task_id": "T-1", "session_id": "s", "text": "hello", "url": "http://127.0.0.1:11434"}
        schema = tools[name].input_schema
        await attached.call_tool(name, {k: v for k, v in args.items() if k in schema.get("properties", {})})
    status = await attached.call_tool("workspace_status", {})
    assert status.is_error is True
    first = status.content[0]
    assert getattr(first, "text", "").count("not_initialized") == 1
    with pytest.raises(Exception, match="not_initialized"):
        await attached.read_resource("orchestra://workspace")
    assert sorted(p.name for p in workspace.iterdir()) == [".git"]
    added = await attached.call_tool("task_add", {"id": "T-1", "title": "first write"})
    assert added.is_error is False
    assert (workspace / ".agent-workflow" / ".gitignore").is_file()
    assert (await attached.call_tool("workspace_status", {})).is_error is False


@pytest.mark.sqlite_only
@pytest.mark.anyio
async def test_stdio_server_in_an_uninitialized_project_waits_for_the_first_write(workspace: Path,
                                                                                   home: Path) -> None:
    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), env=_env(home), cwd=str(workspace))
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        listed = await client.call_tool("task_list", {})
        assert listed.is_error is True
        assert sorted(p.name for p in workspace.iterdir()) == [".git"]
        assert (await client.call_tool("task_add", {"id": "T-9", "title": "now"})).is_error is False
    assert (workspace / ".agent-workflow" / "state.db").is_file()
    assert os.stat(workspace / ".agent-workflow" / "keys" / "workspace.key").st_mode & 0o077 == 0
