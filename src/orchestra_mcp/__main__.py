"""``orchestra-mcp``: the MCP server on stdio. Nothing but JSON-RPC reaches stdout."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Open the workspace, say on stderr how to connect, then serve stdio until EOF."""
    parser = argparse.ArgumentParser(prog="orchestra-mcp", description="Orchestra MCP server (stdio).")
    parser.add_argument("--workspace", help="workspace root (default: discovered from the environment)")
    parser.add_argument("--tools", help="tool groups to expose, comma-separated: core (always), security, chat, "
                                        "ledger, media, compliance, or all (default: ORCHESTRA_TOOLS, then "
                                        "mcp.toolGroups in config.json, then core)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("ORCHESTRA_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from orchestra.errors import OrchestraError
    from orchestra.workspace.root import discover_root

    try:
        from orchestra.app import Orchestra

        choice = discover_root(args.workspace)
        app = Orchestra.attach(choice.root)  # creates nothing until the first write
    except OrchestraError as exc:
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1
    from orchestra.security.logging_filter import GuardLoggingFilter
    from orchestra_mcp.groups import parse_groups
    from orchestra_mcp.server import create_server
    from orchestra_mcp.transport import serve_stdio

    for handler in logging.getLogger().handlers:  # every log line passes the guard (sink: log)
        handler.addFilter(GuardLoggingFilter(app.guard))

    try:
        groups = parse_groups(args.tools or os.environ.get("ORCHESTRA_TOOLS") or app.config.mcp.tool_groups)
    except OrchestraError as exc:
        app.close()
        print(f"orchestra-mcp: {exc}", file=sys.stderr)
        return 1

    print(connect_hint(str(choice.root), choice.source, interactive=sys.stdin.isatty(), initialized=app.initialized),
          file=sys.stderr, flush=True)
    try:
        import anyio

        anyio.run(serve_stdio, create_server(app, groups))
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    return 0


def connect_hint(root: str, source: str, *, interactive: bool, initialized: bool = True) -> str:
    """The stderr banner: one line naming the workspace; connection help when a person runs it."""
    exe = sys.argv[0] if os.path.isabs(sys.argv[0]) else os.path.abspath(sys.argv[0])
    command = exe if os.path.basename(exe).startswith("orchestra-mcp") else f"{sys.executable} -m orchestra_mcp"
    line = f"orchestra-mcp: serving workspace {root} (from {source}) over stdio"
    if not initialized:
        line += " (not initialized yet: the first write creates .agent-workflow/)"
    if not interactive:
        return line
    return (
        f"{line}; waiting for an MCP client.\n"
        f"  Claude Code: claude mcp add --scope project orchestra -- {command} --workspace {root}\n"
        f"  Codex:       codex mcp add orchestra -- {command} --workspace {root}\n"
        f"  Cursor/VS Code: see README.md (\"Connect a runtime\"). Stop with Ctrl-D or Ctrl-C."
    )


if __name__ == "__main__":
    raise SystemExit(main())
