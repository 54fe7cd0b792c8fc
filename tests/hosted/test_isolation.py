"""Tenant isolation, table-driven over tools/list with every group on: records are created as tenant B
(every tool once), then every tool and resource is called as tenant A with B's arguments and ids; no B
identifier or text may appear in anything A gets back (except what A itself sent in that call)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError

from orchestra.hosted.control import ControlStore
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import HostedServer, mcp_client, start_server
from tests.surface_calls import FAKE_PROVIDER_CONFIG, NEEDS_OPERATOR_SETUP, typical_calls

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
B_TEXTS = ("Ship the parser", "Parser passes the suite", "Start with the lexer", "Parser plan", "rm -rf build")
ID_KEY = re.compile(r"(^|_)id$")


def _dump(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, default=str)


def _ids(value: Any, found: set[str]) -> None:
    """Generated ids (values of ``*_id``/``id`` keys, 8+ characters with a digit: not names such as
    ``generic-runtime``) anywhere in a result."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and ID_KEY.search(str(key)) and len(item) >= 8 and any(c.isdigit() for c in item):
                found.add(item)
            _ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _ids(item, found)


@pytest.fixture
def two_tenants(tmp_path: Path, scope_backend: str) -> Iterator[tuple[HostedServer, dict[str, str]]]:
    data_dir = tmp_path / "iso"
    for tenant in ("ta", "tb"):
        config = data_dir / "scopes" / tenant / "web" / ".agent-workflow" / "config.json"
        config.parent.mkdir(parents=True)
        config.write_text(json.dumps(FAKE_PROVIDER_CONFIG), encoding="utf-8")
    control = ControlStore(data_dir / "control.db")
    service = TokenService(control, TokenService.open_key(data_dir))
    tokens = {"b": service.create("tb", "web", "admin", "1d").token,
              "a_read": service.create("ta", "web", "read", "1d").token,
              "a_admin": service.create("ta", "web", "admin", "1d").token}
    control.close()
    server = start_server(data_dir, "--rate", "100000", "--concurrency", "50")
    yield server, tokens
    server.stop()


async def _check(client: Client, name: str, arguments: dict[str, Any], markers: set[str],
                 seen: list[str]) -> None:
    try:
        result = await client.call_tool(name, arguments)
        text = _dump(result)
    except MCPError as exc:
        text = _dump(exc.error)
    sent = _dump(arguments)
    leaked = sorted(m for m in markers if m in text and m not in sent)
    assert not leaked, f"{name} returned tenant B's {leaked}: {text[:400]}"
    seen.append(name)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_tenant_a_never_sees_tenant_b(two_tenants: tuple[HostedServer, dict[str, str]], mode: str) -> None:
    server, tokens = two_tenants
    recorded: dict[str, dict[str, Any]] = {}
    markers: set[str] = set(B_TEXTS)
    async with mcp_client(server.url, tokens["b"], mode) as b:
        b_tools = {t.name for t in (await b.list_tools()).tools}

        async def as_b(name: str, arguments: dict[str, Any]) -> Any:
            recorded[name] = arguments
            result = await b.call_tool(name, arguments)
            _ids(result.structured_content or {}, markers)
            return result

        results = await typical_calls(as_b)
        messages = results["chat_messages"].structured_content or {}
        _ids(messages, markers)
        b_session = (results["spawn_request"].structured_content or {})["session_id"]
        b_thread = (results["chat_thread_create"].structured_content or {})["id"]
    assert b_session in markers and b_thread in markers

    async with mcp_client(server.url, tokens["a_read"], mode) as reader, \
            mcp_client(server.url, tokens["a_admin"], mode) as admin:
        listed = (await admin.list_tools()).tools
        names = {t.name for t in listed}
        assert names == b_tools and len(names) >= 30  # every group is on in every scope
        missing = names - set(recorded) - NEEDS_OPERATOR_SETUP
        assert not missing, f"no typical call recorded for {missing}"
        seen: list[str] = []
        for tool in listed:  # the table: every listed tool, as a reader, with B's arguments
            await _check(reader, tool.name, recorded.get(tool.name, {}), markers, seen)
        for tool in listed:  # and as an admin, every tool that does not create records from its arguments
            creates = tool.annotations is not None and tool.annotations.read_only_hint is False \
                and tool.annotations.idempotent_hint is False
            if not creates:
                await _check(admin, tool.name, recorded.get(tool.name, {}), markers, seen)
        assert set(seen) == names

        uris = [str(r.uri) for r in (await admin.list_resources()).resources]
        templates = [t.uri_template for t in (await admin.list_resource_templates()).resource_templates]
        fill = {"session_id": b_session, "thread_id": b_thread, "task_id": "T-1", "role": "developer",
                "name": f"{b_thread}.json"}
        for template in templates:
            uris.append(re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), "x"), template))
        assert len(uris) >= 8
        for uri in uris:
            try:
                text = _dump(await admin.read_resource(uri))
            except MCPError as exc:
                text = _dump(exc.error)
            leaked = sorted(m for m in markers if m in text and m not in uri)
            assert not leaked, f"{uri} returned tenant B's {leaked}"

    async with mcp_client(server.url, tokens["b"], mode) as b:  # B's records are untouched by A's calls
        session = await b.call_tool("session_get", {"session_id": b_session})
        assert session.is_error is False and b_session in _dump(session)
