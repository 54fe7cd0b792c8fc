"""The server's side of every call, once for all tools.

:class:`OrchestraServer` is an ``MCPServer`` that
- lists small, closed schemas (:mod:`orchestra_mcp.schema`);
- checks raw arguments before a tool runs: unknown, missing, mistyped (strict) or out of range is one
  line ``invalid_input: <argument>: ...`` (:mod:`orchestra_mcp.arguments`);
- tells a caller of a tool whose group is off which group holds it and how to turn it on;
- drops nulls and defaults from results (they still validate against the listed output schema);
- turns groups on at run time (``tool_groups``) and says so with ``notifications/tools/list_changed``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server import NotificationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, InputRequiredResult, ReadResourceResult, TextContent
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from orchestra_mcp.annotations import IDEMPOTENT
from orchestra_mcp.arguments import argument_error, format_pydantic, without_nulls
from orchestra_mcp.client_log import ClientLog
from orchestra_mcp.groups import GROUP_PURPOSE, OPTIONAL_GROUPS, enable_hint, group_of
from orchestra_mcp.schema import Schema, compact_input, compact_output, compact_result
from orchestra_mcp.subscriptions import ResourceSubscriptions

log = logging.getLogger("orchestra_mcp")
MODERN_PREFIX = "2026-"


class GroupInfo(BaseModel):
    """One tool group."""

    name: str
    enabled: bool
    purpose: str
    tools: list[str]


class ToolGroupsResult(BaseModel):
    """The tool groups, and what this call turned on."""

    groups: list[GroupInfo]
    enabled_now: list[str] = Field(default_factory=list, description="Groups this call turned on.")
    note: str = ""


def tool_error(text: str) -> CallToolResult:
    """A model-visible tool error."""
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class OrchestraServer(MCPServer):
    """An ``MCPServer`` with strict arguments, compact schemas and results, and groups turned on at run time."""

    def __init__(self, *args: Any, scrub: Callable[[str], str] | None = None,
                 client_log: ClientLog | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scrub = scrub or (lambda text: text)
        self.client_log = client_log or ClientLog(self._scrub)
        self.client_log.install(self)
        self._schemas: dict[str, tuple[int, Schema, Schema, Schema | None, Schema | None]] = {}
        self._registrars: dict[str, Callable[[], None]] = {}
        self.enabled_groups: list[str] = ["core"]
        self.subscriptions = ResourceSubscriptions()
        self.subscriptions.install(self)
        low = self._lowlevel_server
        initial = low.create_initialization_options

        def with_list_changed(notification_options: NotificationOptions | None = None,
                              experimental_capabilities: dict[str, dict[str, Any]] | None = None,
                              extensions: dict[str, dict[str, Any]] | None = None) -> Any:
            options = notification_options or NotificationOptions(tools_changed=True, resources_changed=True)
            return initial(options, experimental_capabilities, extensions)

        low.create_initialization_options = with_list_changed  # type: ignore[method-assign]
        self._add_tool_groups_tool()

    # -- groups ------------------------------------------------------------------------------------------

    def add_group(self, group: str, register: Callable[[], None]) -> None:
        """Know how to turn ``group`` on (nothing of it is imported until then)."""
        self._registrars[group] = register

    def enable_group(self, group: str) -> bool:
        """Import and register ``group``'s tools; False when it was on already."""
        if group in self.enabled_groups:
            return False
        self._registrars[group]()
        self.enabled_groups.append(group)
        return True

    def _add_tool_groups_tool(self) -> None:
        server = self

        @self.tool(title="Tool groups", annotations=IDEMPOTENT)
        async def tool_groups(
            ctx: Context[Any],
            enable: Annotated[Literal["security", "ledger", "chat", "all"] | None, Field(
                description="Group to turn on.")] = None,
        ) -> ToolGroupsResult:
            """List the tool groups; enable one and its tools appear (list_changed)."""
            wanted = list(OPTIONAL_GROUPS) if enable == "all" else [enable] if enable else []
            now = [g for g in wanted if server.enable_group(g)]
            if now:
                await _announce(ctx)
            groups = [GroupInfo(name=name, enabled=name in server.enabled_groups, purpose=GROUP_PURPOSE[name],
                                tools=list(OPTIONAL_GROUPS.get(name, ())) or ["(always on)"])
                      for name in ("core", *OPTIONAL_GROUPS)]
            note = "call tools/list again if your host did not refresh" if now else ""
            return ToolGroupsResult(groups=groups, enabled_now=now, note=note)

    # -- listing -----------------------------------------------------------------------------------------

    def _compact(self, name: str) -> tuple[Schema, Schema, Schema | None, Schema | None] | None:
        """(listed input schema, input schema to check arguments with, listed output schema, full output
        schema to compact results with) of a registered tool."""
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            return None
        cached = self._schemas.get(name)
        if cached is None or cached[0] != id(tool):
            output = tool.output_schema
            cached = (id(tool), compact_input(tool.parameters), compact_input(tool.parameters, listed=False),
                      compact_output(output) if output else None,
                      compact_output(output, listed=False) if output else None)
            self._schemas[name] = cached
        return cached[1], cached[2], cached[3], cached[4]

    async def list_tools(self) -> list[MCPTool]:
        """Every registered tool with its compact input and output schema."""
        listed = []
        for tool in await super().list_tools():
            schemas = self._compact(tool.name)
            listed.append(tool if schemas is None else tool.model_copy(update={
                "input_schema": schemas[0], "output_schema": schemas[2], "title": None,  # the name says it
                "description": " ".join((tool.description or "").split())}))
        return listed

    # -- calling -----------------------------------------------------------------------------------------

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> CallToolResult | InputRequiredResult:
        """Check the arguments, run the tool, and compact its result; an error's text passes the guard
        (it may quote what the caller sent: an argument name, an identifier, a path)."""
        result = await self._call_checked(name, arguments, context)
        if isinstance(result, CallToolResult) and result.is_error:
            return CallToolResult(content=[TextContent(type="text", text=self._scrub(_text_of(result)))],
                                  is_error=True)
        return result

    async def _call_checked(self, name: str, arguments: dict[str, Any],
                            context: Context[Any, Any] | None) -> CallToolResult | InputRequiredResult:
        schemas = self._compact(name)
        if schemas is None:
            group = group_of(name)
            if group is not None:
                return tool_error(f"tool_group_disabled: {name} is in the '{group}' tool group, which is off; "
                                  f"{enable_hint(group)}")
            return tool_error(f"unknown_tool: {name}; tools/list has every tool that is on, tool_groups the rest")
        _, input_schema, _, output_schema = schemas
        arguments = without_nulls(arguments or {})
        problem = argument_error(input_schema, arguments)
        if problem is not None:
            log.info("Tool %r rejected arguments: %r", name, problem.split(":", 1)[0])
            return tool_error(f"invalid_input: {problem}")
        try:
            result = await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, PydanticValidationError):
                return tool_error(f"invalid_input: {format_pydantic(exc.__cause__)}")
            text = str(exc)
            prefix = f"Error executing tool {name}: "
            text = text[len(prefix):] if text.startswith(prefix) else text
            log.info("Tool %r failed: %r", name, text)
            return tool_error(text)
        if isinstance(result, CallToolResult) and result.structured_content is not None and not result.is_error:
            compact = compact_result(result.structured_content, output_schema)
            return CallToolResult(content=[TextContent(type="text", text=json.dumps(
                compact, ensure_ascii=False, separators=(",", ":")))], structured_content=compact)
        return result

    async def _handle_read_resource(self, ctx: Any, params: Any) -> ReadResourceResult | InputRequiredResult:
        """Read a resource; a failure's message and data pass the guard (they quote the requested URI)."""
        try:
            return await super()._handle_read_resource(ctx, params)
        except MCPError as exc:
            data = {"uri": self._scrub(str(params.uri))} if exc.error.data is not None else None
            raise MCPError(code=exc.error.code, message=self._scrub(exc.error.message), data=data) from None


def _text_of(result: CallToolResult) -> str:
    return "\n".join(part.text for part in result.content if isinstance(part, TextContent))


async def _announce(ctx: Context[Any]) -> None:
    """Tell the client the tool (and resource) lists changed, in the era it speaks."""
    version = ctx.protocol_version or ""
    if version.startswith(MODERN_PREFIX):
        await ctx.notify_tools_changed()
        await ctx.notify_resources_changed()
        return
    try:
        await ctx.session.send_tool_list_changed()
        await ctx.session.send_resource_list_changed()
    except Exception:  # a client that left; the listing is right on its next call
        log.debug("could not send list_changed")
