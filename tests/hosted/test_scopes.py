"""Scopes: ids through the identifier checks and the path guard; the scope-server LRU closes cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import httpx2
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from orchestra.hosted.control import ControlStore
from orchestra.hosted.scopes import scope_opener, scope_root, scope_schema
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import MCP_HEADERS, initialize_body, mcp_client, start_server

pytestmark = pytest.mark.anyio
SCOPE_ID = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True)


@pytest.mark.parametrize("bad", ["..", "a/b", "A", "-x", "", "x" * 64, "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"])
def test_bad_scope_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValidationError):
        scope_root(tmp_path, bad, "web")
    with pytest.raises(ValidationError):
        scope_root(tmp_path, "acme", bad)
    assert not (tmp_path / "scopes").exists()


def test_a_symlinked_scope_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = tmp_path / "data"
    (data / "scopes").mkdir(parents=True)
    os.symlink(outside, data / "scopes" / "acme")
    with pytest.raises(PathOutsideWorkspaceError):
        scope_root(data, "acme", "web")
    assert list(outside.iterdir()) == []


def test_each_scope_is_its_own_workspace(tmp_path: Path, scope_backend: str) -> None:
    opener = scope_opener(tmp_path)
    first, second = opener("acme", "web"), opener("acme", "api")
    try:
        first.tasks.add({"title": "only in web"})
        assert [t.title for t in first.tasks.list()] == ["only in web"]
        assert second.tasks.list() == []
        assert first.layout.root == (tmp_path / "scopes" / "acme" / "web").resolve()
        if scope_backend == "sqlite":
            assert first.layout.db_path != second.layout.db_path and first.layout.db_path.exists()
        else:  # one schema per scope, none in the folder
            assert first.target.schema != second.target.schema
            assert first.target.schema is not None and first.target.schema.endswith(
                scope_schema("acme", "web").rsplit("_", 1)[1])
            assert not first.layout.db_path.exists()
    finally:
        first.close()
        second.close()


@pytest.mark.postgres_only
def test_a_workspace_schema_setting_never_merges_scopes(tmp_path: Path, scope_backend: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ORCHESTRA_DATABASE_SCHEMA`` names one local workspace's schema; a hosted scope ignores it."""
    monkeypatch.setenv("ORCHESTRA_DATABASE_SCHEMA", "one_for_all")
    opener = scope_opener(tmp_path)
    first, second = opener("ta", "web"), opener("tb", "web")
    try:
        first.tasks.add({"title": "tenant a only"})
        assert second.tasks.list() == []
        assert {first.target.schema, second.target.schema}.isdisjoint({"one_for_all"})
    finally:
        first.close()
        second.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(SCOPE_ID, SCOPE_ID), min_size=2, max_size=6, unique=True),
       st.sampled_from(["orch_t_", "a", "team_payments_prod_x"]))
def test_scope_schemas_are_valid_deterministic_and_distinct(pairs: list[tuple[str, str]], prefix: str) -> None:
    try:
        names = [scope_schema(tenant, workspace, prefix) for tenant, workspace in pairs]
    except ValidationError:
        reject()  # an id the identifier checks refuse (e.g. one shaped like a secret)
    assert len(set(names)) == len(names)
    assert all(len(name) <= 63 and name.startswith(prefix) for name in names)
    assert names == [scope_schema(tenant, workspace, prefix) for tenant, workspace in pairs]


@pytest.mark.parametrize("bad", ["", "Upper", "1abc", "pg_x", "x" * 21, "a-b"])
def test_bad_schema_prefixes_are_refused(bad: str) -> None:
    from orchestra.errors import ConfigError

    with pytest.raises(ConfigError):
        scope_schema("acme", "web", bad)


@pytest.mark.slow
async def test_scope_lru_closes_idle_scopes_cleanly(tmp_path: Path, scope_backend: str) -> None:
    control = ControlStore(tmp_path / "control.db")
    service = TokenService(control, TokenService.open_key(tmp_path))
    a = service.create("ta", "web", "write", "1d").token
    b = service.create("tb", "web", "write", "1d").token
    control.close()
    server = start_server(tmp_path, "--max-scopes", "1")
    try:
        async with mcp_client(server.url, a) as client:
            assert (await client.call_tool("task_add", {"title": "kept across eviction"})).is_error is False
        opened = httpx2.post(server.url, json=initialize_body(), timeout=30,
                             headers={**MCP_HEADERS, "Authorization": f"Bearer {a}"})
        session = opened.headers["mcp-session-id"]
        async with mcp_client(server.url, b) as client:  # opening tb evicts the idle ta
            assert (await client.call_tool("task_list", {})).is_error is False
        health = httpx2.get(f"{server.base}/healthz", timeout=10).json()
        assert health["open_scopes"] == 1
        stale = httpx2.post(server.url, json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, timeout=30,
                            headers={**MCP_HEADERS, "Authorization": f"Bearer {a}", "mcp-session-id": session,
                                     "mcp-protocol-version": "2025-06-18"})
        assert stale.status_code == 404  # the evicted scope's sessions ended; the client initializes again
        async with mcp_client(server.url, a) as client:
            tasks = (await client.call_tool("task_list", {})).structured_content or {}
            assert [t["title"] for t in tasks["tasks"]] == ["kept across eviction"]
    finally:
        stderr = server.stop()
    assert "Traceback" not in stderr, stderr
