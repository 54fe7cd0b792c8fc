"""Generate ``docs/tools.md`` from the live server's ``tools/list`` and resource listings.

Usage: ``python -m orchestra_mcp.docgen [OUTPUT]`` (stdout when no output is given).
A test regenerates it and fails when the committed file drifts.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.types import Tool

from orchestra.app import Orchestra
from orchestra.workspace.config import TOOL_GROUPS
from orchestra_mcp.groups import group_of as optional_group_of
from orchestra_mcp.server import create_server

GROUPS_TEXT = """\
## Tool groups

Every tool schema costs context tokens in every host, so tools come in groups. `core` is always on and is
the default. Choose at start with `orchestra-mcp --tools core,chat,ledger,security,media,compliance` (or `all`), the
`ORCHESTRA_TOOLS` environment variable, or `"mcp": {"toolGroups": [...]}` in `.agent-workflow/config.json`;
or let the model turn a group on for the session with `tool_groups {"enable": "chat"}` (the server then
sends `notifications/tools/list_changed`). Calling a tool of a group that is off returns
`tool_group_disabled` naming the group.

Every tool refuses unknown arguments; a bad argument is one line,
`invalid_input: <argument>: <what is wrong, with the allowed range or values>`.
"""

HEADER = """\
# MCP tools and resources

Generated from the live server by `python -m orchestra_mcp.docgen docs/tools.md`
(`make docs`); a test fails when this file drifts from the server. Do not edit by hand.
"""


Prompt = tuple[str, str, list[str]]


async def _collect() -> tuple[list[Tool], list[tuple[str, str, str]], dict[str, str], list[Prompt]]:
    with tempfile.TemporaryDirectory() as folder, Orchestra.open(Path(folder)) as app:
        async with Client(create_server(app), mode="legacy") as client:
            tools = list((await client.list_tools()).tools)
            resources = [(str(r.uri), r.name, r.description or "") for r in (await client.list_resources()).resources]
            templates = [(t.uri_template, t.name, t.description or "")
                         for t in (await client.list_resource_templates()).resource_templates]
            prompts = [(p.name, p.description or "", [a.name for a in p.arguments or []])
                       for p in (await client.list_prompts()).prompts]
    group_of = {t.name: optional_group_of(t.name) or "core" for t in tools}
    return sorted(tools, key=lambda t: t.name), sorted(resources + templates), group_of, sorted(prompts)


def _type_of(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return str(schema.get("type", "any"))


def _hints(tool: Tool) -> str:
    notes = tool.annotations
    if notes is None:
        return ""
    flags = [name for name, on in (("read-only", notes.read_only_hint), ("destructive", notes.destructive_hint),
                                   ("idempotent", notes.idempotent_hint)) if on]
    return ", ".join(flags)


def render(tools: list[Tool], resources: list[tuple[str, str, str]], group_of: dict[str, str],
           prompts: list[Prompt] | None = None) -> str:
    """The Markdown document."""
    lines = [HEADER, GROUPS_TEXT, "| group | tools |", "|---|---|"]
    for group in TOOL_GROUPS:
        names = ", ".join(f"`{t.name}`" for t in tools if group_of.get(t.name) == group)
        lines.append(f"| {group} | {names} |")
    lines += ["", "## Tools", ""]
    for tool in tools:
        lines += [f"### `{tool.name}`", ""]
        hints = ", ".join(x for x in (f"group: {group_of.get(tool.name, 'core')}", _hints(tool)) if x)
        lines += [f"*{hints}*", ""]
        lines += [" ".join((tool.description or "").split()), ""]
        props: dict[str, Any] = tool.input_schema.get("properties", {})
        required = set(tool.input_schema.get("required", []))
        if props:
            lines += ["| parameter | type | required | description |", "|---|---|---|---|"]
            for name, schema in props.items():
                default = f" (default `{json.dumps(schema['default'])}`)" if "default" in schema else ""
                desc = " ".join(str(schema.get("description", "")).split()) + default
                lines.append(f"| `{name}` | {_type_of(schema)} | {'yes' if name in required else 'no'} | {desc} |")
            lines.append("")
        output = tool.output_schema or {}
        if output.get("properties"):
            fields = ", ".join(f"`{n}`" for n in output["properties"])
            lines += [f"Returns: {fields}.", ""]
    lines += ["## Resources", "", "| URI | name | description |", "|---|---|---|"]
    for uri, name, description in resources:
        lines.append(f"| `{uri}` | {name} | {' '.join(description.split())} |")
    if prompts:
        lines += ["", "## Prompts", "", "Shown as slash commands by hosts that support MCP prompts.", "",
                  "| prompt | arguments | description |", "|---|---|---|"]
        for name, description, arguments in prompts:
            args = ", ".join(f"`{a}`" for a in arguments) or "none"
            lines.append(f"| `{name}` | {args} | {' '.join(description.split())} |")
    return "\n".join(lines).rstrip() + "\n"


def generate() -> str:
    """Render the document from a freshly built server."""
    tools, resources, group_of, prompts = anyio.run(_collect)
    return render(tools, resources, group_of, prompts)


def main() -> None:
    """Write the document to the path given, or stdout."""
    text = generate()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
