"""Building the MCP server for one workspace."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from orchestra import __version__
from orchestra.app import Orchestra
from orchestra_mcp.subscriptions import ResourceSubscriptions
from orchestra_mcp.tools import chat, context, runtime, tasks, workspace

SERVER_NAME = "orchestra"

INSTRUCTIONS = """\
Orchestra governs delegation to sub-agents in this workspace: which tasks exist, \
how many delegated sessions run at once, what context a child receives, and an \
append-only, hash-chained audit log of every change.

Normal flow:
1. workspace_status - confirm the workspace root and see counts.
2. task_add / task_list / task_get - register the task you want to delegate and \
read it back (ids are permanent; acceptance criteria and ownership paths shape the \
child's context).
3. runtime_status - before delegating: which runtime you are in (from your client \
name or the hook's record), whether it can spawn sub-agents and with which native tool.
Every tool returns structured results; errors start with a stable code such as \
task_exists or invalid_input and change nothing.
"""


def create_server(app: Orchestra) -> MCPServer:
    """An MCP server whose tools and resources act on ``app``'s workspace."""
    server = MCPServer(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS)
    workspace.register(server, app)
    tasks.register(server, app)
    context.register(server, app)
    runtime.register(server, app)
    subscriptions = ResourceSubscriptions()
    subscriptions.install(server)
    chat.register(server, app, subscriptions)
    return server
