"""Building the MCP server for one workspace."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from orchestra import __version__
from orchestra.app import Orchestra
from orchestra_mcp.tools import capacity, context, delegation, ledger, providers, runtime, tasks, workspace

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
4. spawn_request - ask for a sub-agent. If status is 'requested', read the child \
prompt (prompt_resource or the prompt artifact) and launch the child with your native \
tool as parent_action says; if 'queued', do not launch yet. Then report \
session_update status='spawned' with the child's agent id.
5. session_wait - poll (bounded, up to 50 s a call) until the child finishes; the \
child or you report session_update status='completed' with the handoff artifact \
(or 'failed').
6. session_get - read the result and timeline. context_bundle previews what a child sees.
7. usage_record / usage_report / budget_check - record model calls you make, read \
usage by role, provider, phase and more, and check budgets before an expensive call.
8. model_aliases / provider_complete - call a configured model (Ollama or the fake \
provider) through the guarded path: egress check, budget preflight, ledger record.
9. capacity_snapshot - active leases, queued requests and quotas (why a spawn was queued).
Every tool returns structured results; errors start with a stable code such as \
task_exists or invalid_input and change nothing.
"""


def create_server(app: Orchestra) -> MCPServer:
    """An MCP server whose tools and resources act on ``app``'s workspace."""
    server = MCPServer(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS)
    workspace.register(server, app)
    tasks.register(server, app)
    context.register(server, app)
    delegation.register(server, app)
    runtime.register(server, app)
    ledger.register(server, app)
    providers.register(server, app)
    capacity.register(server, app)
    return server
