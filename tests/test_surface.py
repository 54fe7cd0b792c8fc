"""The model's side of the server through the real client, in both eras: strict arguments with one-line
coded errors, results that validate against their output schema, tool groups a model can turn on,
prompts, and the size budgets of ``tools/list``."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.subscriptions import ToolsListChanged
from mcp.types import ServerNotification, TextContent, Tool

from orchestra.app import Orchestra
from orchestra_mcp.groups import OPTIONAL_GROUPS, parse_groups
from orchestra_mcp.server import create_server
from tests.helpers import BIN_DIR, clean_env
from tests.ledger.conftest import OpenApp
from tests.surface_calls import FAKE_PROVIDER_CONFIG, NEEDS_OPERATOR_SETUP, person_approves, typical_calls

pytestmark = pytest.mark.anyio
MODES = ["legacy", "auto"]
ONE_LINE_CODED = re.compile(r"^invalid_input: [A-Za-z_][\w.\[\]]*: [^\n]+$")
KB = 1000

# budgets (issue 13): model-visible part (name, title, description, inputSchema) and the whole listing
VISIBLE_DEFAULT, VISIBLE_ALL = 8 * KB, 25 * KB
WIRE_DEFAULT, WIRE_ALL = 30 * KB, 90 * KB
MAX_INPUT_SCHEMA = 3 * KB


@pytest.fixture
def surface_app(open_app: OpenApp) -> Orchestra:
    return open_app(FAKE_PROVIDER_CONFIG)


@pytest.fixture(params=MODES)
async def client(request: pytest.FixtureRequest, surface_app: Orchestra) -> AsyncIterator[Client]:
    async with Client(create_server(surface_app), mode=request.param,
                      elicitation_callback=person_approves) as connected:
        yield connected


def _text(result: Any) -> str:
    assert result.is_error is True, result.structured_content
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def _compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _wire(tools: list[Tool]) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def _visible(tool: dict[str, Any]) -> int:
    return _compact({k: tool[k] for k in ("name", "title", "description", "inputSchema") if k in tool})


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


# -- calls that succeed on the first try ---------------------------------------------------------------

async def test_an_unknown_argument_is_refused_with_the_accepted_names(client: Client, surface_app: Orchestra) -> None:
    text = _text(await client.call_tool("task_add", {"id": "T-1", "title": "t", "description": "the goal"}))
    assert text.startswith("invalid_input: description: unknown argument; accepted: title, id, goal")
    assert surface_app.tasks.list() == []
    close = _text(await client.call_tool("task_list", {"limt": 5}))
    assert close == "invalid_input: limt: unknown argument; accepted: status, after_id, limit (did you mean limit?)"
    ignored = _text(await client.call_tool("budget_check", {"role": "developer"}))
    assert ignored == "invalid_input: role: unknown argument; accepted: task_id, estimate_cost_usd"
    nested = _text(await client.call_tool("egress_check", {
        "provider_id": "ollama", "messages": [{"role": "user", "content": "hi", "name": "x"}]}))
    assert nested == "invalid_input: messages[0]: name: unknown field; accepted: role, content"


async def test_true_is_not_a_number(client: Client) -> None:
    assert _text(await client.call_tool("task_list", {"limit": True})) == \
        "invalid_input: limit: expected integer, got boolean"
    assert _text(await client.call_tool("session_wait", {"session_ids": ["s"], "timeout_s": True})) == \
        "invalid_input: timeout_s: expected number, got boolean"
    assert _text(await client.call_tool("session_list", {"include_closed": 1})) == \
        "invalid_input: include_closed: expected boolean, got integer"


def _valid(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _valid(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _valid(schema["anyOf"][0], root)
    kind = schema.get("type")
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return [_valid(schema.get("items", {}), root) for _ in range(schema.get("minItems", 0))]
    if kind == "object":
        return {name: _valid(sub, root) for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    return "x"


def _cases(tool: Tool) -> list[tuple[str, dict[str, Any], str]]:
    """(label, arguments, expected message start) for a missing, a mistyped and an out-of-range argument."""
    schema = tool.input_schema
    props: dict[str, Any] = schema.get("properties", {})
    required: list[str] = schema.get("required", [])
    base = {name: _valid(props[name], schema) for name in required}
    cases = []
    if required:
        cases.append(("missing", {k: v for k, v in base.items() if k != required[0]},
                      f"invalid_input: {required[0]}: required argument is missing"))
    for name, sub in props.items():
        wrong: Any = 5 if sub.get("type") == "array" else [1]
        problem = "must be one of: " if "enum" in sub else "expected "
        cases.append(("mistyped", {**base, name: wrong}, f"invalid_input: {name}: {problem}"))
        break
    for name, sub in props.items():
        if "maximum" in sub:
            cases.append(("out-of-range", {**base, name: sub["maximum"] + 1}, f"invalid_input: {name}: must be "))
            break
        if "maxLength" in sub:
            cases.append(("out-of-range", {**base, name: "x" * (sub["maxLength"] + 1)},
                          f"invalid_input: {name}: must be "))
            break
        if "enum" in sub:
            cases.append(("out-of-range", {**base, name: "not-a-value"}, f"invalid_input: {name}: must be one of: "))
            break
    return cases


async def test_every_tool_reports_bad_arguments_in_one_coded_line(client: Client) -> None:
    tools = (await client.list_tools()).tools
    seen = {"missing": 0, "mistyped": 0, "out-of-range": 0}
    for tool in tools:
        for label, arguments, expected in _cases(tool):
            text = _text(await client.call_tool(tool.name, arguments))
            assert text.startswith(expected), (tool.name, label, text)
            assert ONE_LINE_CODED.match(text), (tool.name, label, text)
            assert "pydantic" not in text and "http" not in text and len(text) < 600, text
            seen[label] += 1
    assert seen["missing"] >= 10 and seen["mistyped"] == len([t for t in tools if t.input_schema.get("properties")])
    assert seen["out-of-range"] >= 20


async def test_a_rule_only_the_model_checks_is_still_one_coded_line(client: Client) -> None:
    text = _text(await client.call_tool("task_add", {"id": "bad id", "title": "x"}))
    assert ONE_LINE_CODED.match(text) and text.startswith("invalid_input: "), text


async def test_every_result_validates_against_its_output_schema(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    results = await typical_calls(client.call_tool)
    assert set(results) == set(tools) - NEEDS_OPERATOR_SETUP, set(tools) ^ set(results)
    for name, result in results.items():
        schema = tools[name].output_schema
        assert schema is not None, name
        jsonschema.validate(result.structured_content, schema)
        assert _nulls(result.structured_content) == [], (name, _nulls(result.structured_content))
        text = result.content[0]
        assert isinstance(text, TextContent) and json.loads(text.text) == result.structured_content


async def test_a_spawn_result_says_each_thing_once(client: Client) -> None:
    await client.call_tool("task_add", {"id": "T-1", "title": "t", "owner_role": "developer"})
    spawn = (await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"})).structured_content
    assert spawn is not None and spawn["next_calls"]
    assert "next_calls" not in spawn["parent_action"] and "prompt_artifact" not in spawn["parent_action"]
    assert json.dumps(spawn).count('"next_calls"') == 1


async def test_usage_record_needs_no_provider_ids_and_keeps_unknown_cost_unknown(client: Client) -> None:
    await client.call_tool("task_add", {"id": "T-1", "title": "t"})
    call = {"task_id": "T-1", "role": "developer", "provider": "anthropic", "model": "claude-x",
            "idempotency_key": "call-0001"}
    first = (await client.call_tool("usage_record", call)).structured_content
    assert first is not None and first["prompt_id"].startswith("prompt-")
    assert "estimated_cost_usd" not in first and first["cost_source"] == "unavailable"
    assert first["usage_source"] == "unavailable"
    again = (await client.call_tool("usage_record", call)).structured_content
    assert again is not None and again["id"] == first["id"] and again["idempotent_replay"] is True
    conflict = _text(await client.call_tool("usage_record", {**call, "model": "other"}))
    assert conflict.startswith("idempotency_conflict:")
    report = (await client.call_tool("usage_report", {"task_id": "T-1"})).structured_content
    assert report is not None and report["totals"]["requests"] == 1


async def test_usage_record_with_a_redacted_id_still_validates(client: Client) -> None:
    await client.call_tool("task_add", {"id": "T-1", "title": "t"})
    tools = {t.name: t for t in (await client.list_tools()).tools}
    result = await client.call_tool("usage_record", {
        "task_id": "T-1", "role": "developer", "provider": "anthropic", "model": "claude-x",
        "request_id": "sk_live_" + "51HqLyjWDarjtT1zdp7dcXqMCP"})
    if result.is_error:  # refusing a secret-like identifier before writing is fine too
        assert _text(result).startswith("invalid_input:")
        return
    assert "51HqLyjWDarjtT1zdp7dcXqMCP" not in json.dumps(result.structured_content)
    jsonschema.validate(result.structured_content, tools["usage_record"].output_schema or {})


# -- a small tool surface that can grow on demand ------------------------------------------------------

async def test_tools_list_stays_within_its_budgets(surface_app: Orchestra) -> None:
    default = parse_groups(surface_app.config.mcp.tool_groups)
    for groups, visible_budget, wire_budget in ((default, VISIBLE_DEFAULT, WIRE_DEFAULT),
                                                (("all",), VISIBLE_ALL, WIRE_ALL)):
        async with Client(create_server(surface_app, groups), mode="legacy") as connected:
            tools = _wire((await connected.list_tools()).tools)
        visible = sum(_visible(t) for t in tools)
        wire = _compact({"tools": tools})
        assert visible <= visible_budget, (groups, visible)
        assert wire <= wire_budget, (groups, wire)
        for tool in tools:
            assert _compact(tool["inputSchema"]) <= MAX_INPUT_SCHEMA, (tool["name"], _compact(tool["inputSchema"]))
            assert tool["inputSchema"].get("additionalProperties") is False, tool["name"]


async def test_a_tool_of_a_group_that_is_off_names_its_group(surface_app: Orchestra) -> None:
    for mode in MODES:
        async with Client(create_server(surface_app, ["core"]), mode=mode) as connected:
            assert connected.instructions is not None and 'tool_groups {"enable": "<group>"}' in connected.instructions
            for group in OPTIONAL_GROUPS:
                assert f"{group} (" in connected.instructions.split("Off: ", 1)[1]
            text = _text(await connected.call_tool("chat_respond", {"thread_id": "thread-1"}))
            assert text.startswith("tool_group_disabled: chat_respond is in the 'chat' tool group, which is off; "
                                   'call tool_groups {"enable": "chat"}')
            unknown = _text(await connected.call_tool("no_such_tool", {}))
            assert unknown.startswith("unknown_tool: no_such_tool")


async def test_tool_groups_turns_chat_on_with_a_list_changed_notification_legacy(surface_app: Orchestra) -> None:
    changed = anyio.Event()

    async def handler(message: Any) -> None:
        if isinstance(message, ServerNotification) and message.method == "notifications/tools/list_changed":
            changed.set()

    async with Client(create_server(surface_app, ["core"]), mode="legacy", message_handler=handler) as connected:
        capabilities = connected.server_capabilities
        assert capabilities.tools is not None and capabilities.tools.list_changed is True
        before = {t.name for t in (await connected.list_tools()).tools}
        assert "chat_thread_create" not in before and "tool_groups" in before
        listed = (await connected.call_tool("tool_groups", {})).structured_content
        assert listed is not None and {g["name"]: g["enabled"] for g in listed["groups"]} == {
            "core": True, "security": False, "ledger": False, "chat": False, "media": False, "compliance": False}
        turned = (await connected.call_tool("tool_groups", {"enable": "chat"})).structured_content
        assert turned is not None and turned["enabled_now"] == ["chat"]
        with anyio.fail_after(10):
            await changed.wait()
        after = {t.name for t in (await connected.list_tools()).tools}
        assert set(OPTIONAL_GROUPS["chat"]) <= after
        thread = await connected.call_tool("chat_thread_create", {"title": "t", "task_id": "T-1"})
        assert thread.is_error is False, thread.content
        repeat = (await connected.call_tool("tool_groups", {"enable": "chat"})).structured_content
        assert repeat is not None and "enabled_now" not in repeat


async def test_tool_groups_turns_chat_on_with_a_list_changed_event_modern(surface_app: Orchestra) -> None:
    async with Client(create_server(surface_app, ["core"]), mode="auto") as connected:
        async with connected.listen(tools_list_changed=True) as events:
            turned = (await connected.call_tool("tool_groups", {"enable": "chat"})).structured_content
            assert turned is not None and turned["enabled_now"] == ["chat"]
            with anyio.fail_after(10):
                event = await events.__anext__()
        assert isinstance(event, ToolsListChanged)
        assert set(OPTIONAL_GROUPS["chat"]) <= {t.name for t in (await connected.list_tools()).tools}


async def test_prompts_are_listed_and_rendered(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"delegate", "review_sessions", "export_thread"}
    assert [a.name for a in prompts["delegate"].arguments or []] == ["task_id", "brief"]
    rendered = await client.get_prompt("delegate", {"task_id": "T-7"})
    text = rendered.messages[0].content
    assert isinstance(text, TextContent) and "spawn_request" in text.text and 'task_id "T-7"' in text.text
    review = await client.get_prompt("review_sessions", {})
    assert isinstance(review.messages[0].content, TextContent) and "session_list" in review.messages[0].content.text
    export = await client.get_prompt("export_thread", {"thread_id": "thread-abc"})
    assert isinstance(export.messages[0].content, TextContent) and "chat_export" in export.messages[0].content.text


async def test_the_stdio_server_is_strict_and_grows_on_demand(workspace: Path) -> None:
    changed = anyio.Event()

    async def handler(message: Any) -> None:
        if isinstance(message, ServerNotification) and message.method == "notifications/tools/list_changed":
            changed.set()

    params = StdioServerParameters(command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
                                   env=clean_env())
    async with Client(params, mode="legacy", message_handler=handler) as connected:  # type: ignore[arg-type]
        unknown = _text(await connected.call_tool("task_add", {"id": "T-1", "title": "t", "descripton": "x"}))
        assert unknown.startswith("invalid_input: descripton: unknown argument; accepted: title, id, goal")
        assert _text(await connected.call_tool("task_list", {"limit": 0})) == \
            "invalid_input: limit: must be between 1 and 500"
        assert _text(await connected.call_tool("usage_report", {})).startswith("tool_group_disabled: ")
        added = await connected.call_tool("task_add", {"id": "T-1", "title": "t"})
        assert added.is_error is False, added.content
        await connected.call_tool("tool_groups", {"enable": "ledger"})
        with anyio.fail_after(30):
            await changed.wait()
        report = await connected.call_tool("usage_report", {})
        assert report.is_error is False and report.structured_content is not None
