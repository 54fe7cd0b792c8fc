"""The hosted server with API tokens, through HTTP and the SDK client: who is refused, with what status,
and that a refused request writes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from orchestra.hosted.control import ControlStore
from orchestra.hosted.tokens import TokenService, new_token
from tests.hosted.server import MCP_HEADERS, HostedServer, initialize_body, mcp_client, start_server

pytestmark = pytest.mark.anyio


@dataclass
class Setup:
    server: HostedServer
    tokens: TokenService
    admin: str
    write: str
    read: str


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    data_dir = tmp_path_factory.mktemp("hosted")
    control = ControlStore(data_dir / "control.db")
    tokens = TokenService(control, TokenService.open_key(data_dir))
    made = {s: tokens.create("acme", "web", s, "1d").token for s in ("admin", "write", "read")}
    server = start_server(data_dir, "--rate", "1000")
    yield Setup(server, tokens, made["admin"], made["write"], made["read"])
    server.stop()
    control.close()


def post(setup: Setup, token: str | None, body: dict[str, object] | None = None,
         headers: dict[str, str] | None = None) -> httpx2.Response:
    sent = dict(MCP_HEADERS)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    return httpx2.post(setup.server.url, json=body or initialize_body(), headers=sent, timeout=30)


def scope_dir(setup: Setup, tenant: str = "acme", workspace: str = "web") -> Path:
    return setup.server.data_dir / "scopes" / tenant / workspace


def test_metadata_is_served_at_both_well_known_paths(hosted: Setup) -> None:
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        response = httpx2.get(hosted.server.base + path, timeout=10)
        assert response.status_code == 200
        body = response.json()
        assert body["resource"] == hosted.server.url and body["bearer_methods_supported"] == ["header"]
        assert body["scopes_supported"] == ["orchestra:read", "orchestra:write", "orchestra:admin"]


async def test_refused_credentials_get_401_and_open_nothing(hosted: Setup) -> None:
    meta = f'resource_metadata="{hosted.server.base}/.well-known/oauth-protected-resource/mcp"'
    missing = post(hosted, None)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == f"Bearer {meta}"
    expiring = hosted.tokens.create("other", "web", "admin", "1s").token
    revoked = hosted.tokens.create("other", "web", "admin", "1d")
    hosted.tokens.revoke(revoked.info.token_id)
    time.sleep(1.1)
    for token, why in ((new_token(), "not valid"), ("not-a-token", "not valid"), (expiring, "expired"),
                       (revoked.token, "revoked")):
        refused = post(hosted, token)
        assert refused.status_code == 401, token
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token"') and meta in challenge and why in challenge
        assert token not in refused.text
    basic = post(hosted, None, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401 and 'error="invalid_token"' in basic.headers["www-authenticate"]
    assert not (hosted.server.data_dir / "scopes" / "other").exists()  # nothing of that scope was opened


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_read_scope_cannot_write_and_nothing_is_written(hosted: Setup, mode: str) -> None:
    async with mcp_client(hosted.server.url, hosted.read, mode) as reader:
        listed = await reader.call_tool("task_list", {})
        assert listed.is_error is False
        before = len((listed.structured_content or {})["tasks"])
        for name, arguments in (("task_add", {"title": "sneaky"}), ("spawn_request", {"task_id": "T-1"}),
                                ("tool_groups", {"enable": "all"})):
            refused = await reader.call_tool(name, arguments)
            assert refused.is_error is True
            assert refused.content[0].text.startswith("forbidden: "), refused.content  # type: ignore[union-attr]
        assert (await reader.call_tool("tool_groups", {})).is_error is False  # listing groups is a read
    async with mcp_client(hosted.server.url, hosted.admin, mode) as admin:
        tasks = (await admin.call_tool("task_list", {})).structured_content or {}
        assert len(tasks["tasks"]) == before and all(t["title"] != "sneaky" for t in tasks["tasks"])


async def test_destructive_tools_need_admin(hosted: Setup) -> None:
    async with mcp_client(hosted.server.url, hosted.write) as writer:
        assert (await writer.call_tool("task_add", {"id": "T-9", "title": "chat here"})).is_error is False
        thread = await writer.call_tool("chat_thread_create", {"title": "keep me", "task_id": "T-9"})
        assert thread.is_error is False, thread.content
        thread_id = (thread.structured_content or {})["id"]
        refused = await writer.call_tool("chat_delete", {"scope": "thread", "thread_id": thread_id,
                                                         "reason_code": "user_request"})
        assert refused.is_error is True and "needs the 'admin' scope" in refused.content[0].text  # type: ignore[union-attr]
        assert (await writer.call_tool("chat_messages", {"thread_id": thread_id})).is_error is False
    async with mcp_client(hosted.server.url, hosted.admin) as admin:
        deleted = await admin.call_tool("chat_delete", {"scope": "thread", "thread_id": thread_id,
                                                        "reason_code": "user_request"})
        assert deleted.is_error is False, deleted.content


def test_a_session_belongs_to_the_credential_that_opened_it(hosted: Setup) -> None:
    opened = post(hosted, hosted.write)
    assert opened.status_code == 200
    session = opened.headers["mcp-session-id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    same = post(hosted, hosted.write, ping, {"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"})
    assert same.status_code == 200
    other = post(hosted, hosted.admin, ping, {"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"})
    assert other.status_code == 404  # another credential of the same scope: as if the session did not exist


def test_body_over_the_limit_is_refused(hosted: Setup) -> None:
    big = initialize_body()
    big["params"]["clientInfo"]["name"] = "x" * (70 * 1024)  # type: ignore[index]
    refused = post(hosted, hosted.write, big)
    assert refused.status_code == 413
