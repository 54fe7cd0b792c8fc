"""Entry point and argument parsing for ``orchestra``.

Only the standard library is imported here; each command module is imported when
that command runs, so fast commands (the per-prompt hook) stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from orchestra import __version__

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", default=argparse.SUPPRESS,
                        help="workspace root (default: ORCHESTRA_WORKSPACE, CLAUDE_PROJECT_DIR, or search upward)")
    parser = argparse.ArgumentParser(prog="orchestra", parents=[common],
                                     description="Governed sub-agent delegation for AI coding runtimes.")
    parser.add_argument("--version", action="version", version=f"orchestra {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = commands.add_parser("init", parents=[common], help="create .agent-workflow/ and config.json")
    init.add_argument("--json", action="store_true", help="print a JSON report")
    _add_init_runtime_options(init)
    init.set_defaults(handler=_lazy("orchestra.cli.workspace_commands", "run_init"))

    status = commands.add_parser("status", parents=[common], help="show the workspace and its counts")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_lazy("orchestra.cli.workspace_commands", "run_status"))

    _add_health_command(commands, common)
    _add_task_commands(commands, common)
    _add_session_commands(commands, common)

    chat = commands.add_parser("chat", parents=[common], help="chat compliance commands")
    chat_actions = chat.add_subparsers(dest="chat_command", metavar="ACTION", required=True)
    export = chat_actions.add_parser("export", parents=[common], help="redacted JSON + Markdown export")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--thread", default=None, help="one thread id")
    which.add_argument("--task", default=None, help="every thread of a task")
    which.add_argument("--run", default=None, help="every thread of a run")
    export.add_argument("--actor", default=None, help="who exports (default: your user name)")
    export.add_argument("--role", default="operator", help="the exporter's role (default: operator)")
    export.add_argument("--tenant", default="local", help="tenant id (default: local)")
    export.add_argument("--workspace-id", default="local", help="workspace id within the tenant (default: local)")
    export.add_argument("--include-deleted", action="store_true", help="include deleted messages as '[deleted]'")
    export.add_argument("--json", action="store_true", help="print JSON")
    export.set_defaults(handler=_lazy("orchestra.cli.chat_commands", "run_export"))

    doctor = commands.add_parser("doctor", parents=[common],
                                 help="check workspace, database, key, host configs and the MCP server")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.add_argument("--no-server", action="store_true", help="do not start the MCP server to test initialize")
    doctor.set_defaults(handler=_lazy("orchestra.cli.doctor_commands", "run_doctor"))

    hook = commands.add_parser("hook", parents=[common],
                               help="host hook entry point: report a sub-agent's start/stop (reads hook JSON)")
    hook.add_argument("event", help="the host's event, e.g. SubagentStop, subagentStart, PreToolUse")
    hook.add_argument("--runtime", default=None, help="the host's runtime id (cursor-cli answers '{}')")

    _add_operator_commands(commands, common)

    audit = commands.add_parser("audit", parents=[common], help="audit log commands")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_commands.add_parser("verify", parents=[common],
                                       help="check the database and the keyed chain; exit 1 on any problem")
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.add_argument("--anchor", metavar="FILE_OR_VALUE",
                        help="an earlier 'orchestra audit head' (file or value): fail unless the chain extends it")
    verify.set_defaults(handler=_lazy("orchestra.cli.audit_commands", "run_verify"))
    head = audit_commands.add_parser("head", parents=[common],
                                     help="print the audit head as JSON, to keep outside the workspace as an anchor")
    head.set_defaults(handler=_lazy("orchestra.cli.audit_commands", "run_head"))

    _add_transcribe_command(commands, common)

    _add_serve_command(commands, common)
    return parser


def _add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                       common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser("serve", parents=[common],
                                help="run the MCP server on stdio, or streamable HTTP with --http (= orchestra-mcp)")
    serve.add_argument("--tools", default=None,
                       help="tool groups: core (always), security, chat, ledger, media, compliance, or all "
                            "(default: config)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP (= orchestra-mcp --transport http)")
    serve.add_argument("--host", default=None, help="with --http: address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="with --http: port (default 8765; 0 picks a free one)")
    serve.add_argument("--allowed-host", action="append", default=None, metavar="NAME[:PORT]",
                       help="with --http: a Host header to accept (repeatable; see orchestra-mcp --help)")
    serve.add_argument("--auth", choices=("tokens", "oauth"), default=None,
                       help="with --http: hosted mode, every request authenticated (docs/hosted.md)")
    serve.add_argument("--data-dir", default=None, help="with --auth: the hosted data dir (default ORCHESTRA_DATA_DIR)")
    serve.set_defaults(handler=_lazy("orchestra.cli.workspace_commands", "run_serve"))


def _add_init_runtime_options(init: argparse.ArgumentParser) -> None:
    init.add_argument("--target", "--targets", action="append", default=[], metavar="LIST",
                      help="runtimes to set up: comma-separated claude,cursor,codex,vscode,windsurf,generic "
                           "(registers the MCP server, installs hooks and rules)")
    mode = init.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is missing or drifted")
    mode.add_argument("--dry-run", action="store_true", help="write nothing; show what would change")
    init.add_argument("--force", action="store_true", help="replace managed blocks that were edited by hand")
    init.add_argument("--portable", action="store_true",
                      help="write bare 'orchestra'/'orchestra-mcp' (from PATH) instead of absolute paths")
    init.add_argument("--windsurf-global", action="store_true",
                      help="also merge the server into ~/.codeium/windsurf/mcp_config.json (Windsurf has no "
                           "project-level MCP file)")


def _add_policy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                        common: argparse.ArgumentParser) -> None:
    policy = commands.add_parser("policy", parents=[common], help="the tool policy of the pre-tool-use guard")
    policy_actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    ptest = policy_actions.add_parser("test", parents=[common],
                                      help="the decision for a hypothetical tool call (exit 0 allow, 2 ask, 3 deny)")
    ptest.add_argument("call", help='the call as JSON, e.g. \'{"tool_name":"Bash","tool_input":{"command":"ls"}}\' '
                                    "(or a Cursor gate payload; - reads stdin)")
    ptest.add_argument("--host", choices=("claude", "codex", "cursor"), default="claude",
                       help="whose payload shape and answer format (default: claude)")
    ptest.add_argument("--session", default=None, help="decide as the delegated child with this host agent id")
    ptest.add_argument("--json", action="store_true", help="print JSON (with the exact host output)")
    ptest.set_defaults(handler=_lazy("orchestra.cli.policy_commands", "run_policy_test"))


def _add_health_command(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                        common: argparse.ArgumentParser) -> None:
    health = commands.add_parser("health", parents=[common],
                                 help="record the active runtime (hook command) and print a compact report")
    health.add_argument("--runtime", default=None,
                        help="runtime id to record as active (e.g. claude-cli); unknown ids exit 1 before any write")
    health.add_argument("--hook-session", action="store_true",
                        help="read the host's hook JSON on stdin (session id, workspace) and use it")
    health.add_argument("--json", action="store_true", help="print the report as JSON")
    health.add_argument("--quiet", action="store_true", help="record only; print nothing (for hosts that parse stdout)")
    health.set_defaults(handler=_lazy("orchestra.cli.health_commands", "run_health"))
    _add_policy_command(commands, common)  # the other hook-side command: what the pre-tool guard decides


def _add_task_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                       common: argparse.ArgumentParser) -> None:
    task = commands.add_parser("task", parents=[common], help="task registry commands")
    actions = task.add_subparsers(dest="task_command", metavar="ACTION", required=True)
    module = "orchestra.cli.task_commands"

    add = actions.add_parser("add", parents=[common], help="register a task")
    add.add_argument("id", nargs="?", default=None,
                     help="task id ([A-Za-z0-9][A-Za-z0-9._-]{0,63}; default: the next T-<n>)")
    add.add_argument("--title", required=True, help="short title")
    add.add_argument("--goal", default="", help="what done looks like")
    add.add_argument("--criterion", action="append", default=[], dest="criteria",
                     help="an acceptance criterion (repeat)")
    add.add_argument("--path", action="append", default=[], dest="paths",
                     help="a workspace-relative ownership path (repeat)")
    add.add_argument("--owner-role", default=None, help="owning role, e.g. developer")
    add.add_argument("--status", default="planned", help="initial status (default: planned)")
    add.add_argument("--depends-on", action="append", default=[], help="a task that must be done first (repeat)")
    add.add_argument("--priority", default="medium", choices=("high", "medium", "low"), help="priority")
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(handler=_lazy(module, "run_add"))

    update = actions.add_parser("update", parents=[common], help="change a task's fields or status")
    update.add_argument("id", help="task id")
    update.add_argument("--status", default=None, help="new status (validated)")
    update.add_argument("--reason", default=None, help="why (kept with the status)")
    update.add_argument("--title", default=None, help="new title")
    update.add_argument("--goal", default=None, help="new goal")
    update.add_argument("--criterion", action="append", default=None, dest="criteria",
                        help="replace the criteria (repeat)")
    update.add_argument("--path", action="append", default=None, dest="paths",
                        help="replace the ownership paths (repeat)")
    update.add_argument("--owner-role", default=None, help="new owner role")
    update.add_argument("--depends-on", action="append", default=None, help="replace the dependencies (repeat)")
    update.add_argument("--priority", default=None, choices=("high", "medium", "low"), help="new priority")
    update.add_argument("--json", action="store_true", help="print JSON")
    update.set_defaults(handler=_lazy(module, "run_update"))

    done = actions.add_parser("done", parents=[common], help="mark a task done")
    done.add_argument("id", help="task id")
    done.add_argument("--reason", default=None, help="a note kept with the status")
    done.add_argument("--json", action="store_true", help="print JSON")
    done.set_defaults(handler=_lazy(module, "run_done"))

    nxt = actions.add_parser("next", parents=[common], help="the next ready task (exit 1 when none)")
    nxt.add_argument("--json", action="store_true", help="print JSON")
    nxt.set_defaults(handler=_lazy(module, "run_next"))

    listing = actions.add_parser("list", parents=[common], help="list tasks")
    listing.add_argument("--status", default=None, help="only this status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_lazy(module, "run_list"))

    show = actions.add_parser("show", parents=[common], help="show one task")
    show.add_argument("id", help="task id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_lazy(module, "run_show"))


def _add_transcribe_command(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                            common: argparse.ArgumentParser) -> None:
    transcribe = commands.add_parser("transcribe", parents=[common],
                                     help="check a media file (--preflight) or transcribe it locally (--run)")
    transcribe.add_argument("path", help="workspace-relative audio or video file")
    transcribe.add_argument("--media-type", choices=("audio", "video"), required=True, help="what the file holds")
    mode = transcribe.add_mutually_exclusive_group(required=True)
    mode.add_argument("--preflight", action="store_true", help="check the file; write nothing")
    mode.add_argument("--run", action="store_true", help="transcribe with the local engine into task evidence")
    transcribe.add_argument("--task", default=None, help="task id the transcript is evidence for (needed by --run)")
    transcribe.add_argument("--language", default=None, help="language hint, e.g. en")
    transcribe.add_argument("--consent", default=None, choices=("not_required", "provided", "missing", "unknown"),
                            help="consent status of the people recorded")
    transcribe.add_argument("--max-duration-ms", type=int, default=None, help="tighter duration limit (ms)")
    transcribe.add_argument("--max-file-bytes", type=int, default=None, help="tighter size limit (bytes)")
    transcribe.add_argument("--json", action="store_true", help="print JSON")
    transcribe.set_defaults(handler=_lazy("orchestra.cli.transcribe_commands", "run_transcribe"))


def _add_fragment_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                           common: argparse.ArgumentParser) -> None:
    module = "orchestra.cli.fragment_commands"
    fragments = commands.add_parser("fragments", parents=[common], help="retained restricted fragments")
    actions = fragments.add_subparsers(dest="fragments_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="list shadows (never values)")
    listing.add_argument("--thread", default=None, help="only this chat thread")
    listing.add_argument("--task", default=None, help="only this task")
    listing.add_argument("--tenant", default=None, help="only this tenant")
    listing.add_argument("--status", default=None, help="only this lifecycle status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_lazy(module, "run_list"))
    restore = actions.add_parser("restore", parents=[common], help="restore one fragment to stdout (audited)")
    restore.add_argument("id", help="fragment id")
    restore.add_argument("--reason", required=True, help="legal basis or break-glass reason")
    restore.add_argument("--json", action="store_true", help="print the result as JSON")
    restore.set_defaults(handler=_lazy(module, "run_restore"))
    grant = actions.add_parser("grant", parents=[common], help="let an MCP caller restore one fragment once")
    grant.add_argument("id", help="fragment id")
    grant.add_argument("--minutes", type=int, default=10, help="validity, 1-60 minutes (default 10)")
    grant.add_argument("--json", action="store_true", help="print JSON")
    grant.set_defaults(handler=_lazy(module, "run_grant"))
    shred = actions.add_parser("shred", parents=[common], help="crypto-shred a fragment, a tenant or expired ones")
    shred.add_argument("id", nargs="?", default=None, help="fragment id")
    shred.add_argument("--tenant", default=None, help="every fragment of this tenant, and its key versions")
    shred.add_argument("--expired", action="store_true", help="every fragment past its retention period")
    shred.add_argument("--reason-code", default="operator_request", help="why (default operator_request)")
    shred.add_argument("--json", action="store_true", help="print JSON")
    shred.set_defaults(handler=_lazy(module, "run_shred"))

    keys = commands.add_parser("keys", parents=[common], help="fragment key-encryption keys")
    key_actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    status = key_actions.add_parser("status", parents=[common], help="key versions (metadata only)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_lazy(module, "run_keys_status"))
    rotate = key_actions.add_parser("rotate", parents=[common], help="new key version for new fragments")
    rotate.add_argument("--tenant", default=None, help="only this tenant (default: every tenant with keys)")
    rotate.add_argument("--rewrap", action="store_true",
                        help="also rewrap every data key to the new version and destroy the old versions")
    rotate.add_argument("--json", action="store_true", help="print JSON")
    rotate.set_defaults(handler=_lazy(module, "run_keys_rotate"))


def _add_operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                           common: argparse.ArgumentParser) -> None:
    """Operator commands: retained fragments and keys, approvals, hosted API tokens."""
    from orchestra.cli import approval_commands

    _add_fragment_commands(commands, common)
    approval_commands.add_parsers(commands, common)
    _add_token_commands(commands, common)


def _add_token_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                        common: argparse.ArgumentParser) -> None:
    module = "orchestra.cli.token_commands"
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data-dir", default=None, help="hosted data dir (default: ORCHESTRA_DATA_DIR)")
    data.add_argument("--json", action="store_true", help="print JSON")
    # no workspace root here: --workspace names a workspace id inside a tenant
    token = commands.add_parser("token", help="hosted API tokens (in the hosted data dir)")
    actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=[data], help="create a token (shown once)")
    create.add_argument("--tenant", required=True, help="tenant id ([a-z0-9][a-z0-9_-]{0,62})")
    create.add_argument("--workspace", dest="scope_workspace", required=True, help="workspace id within the tenant")
    create.add_argument("--scope", required=True, choices=("read", "write", "admin"), help="what it may do")
    create.add_argument("--expires", default="30d", help="lifetime, e.g. 12h, 30d, 2w (default 30d, at most 366d)")
    create.add_argument("--label", default="", help="a note (who or what uses it)")
    create.set_defaults(handler=_lazy(module, "run_create"))
    listing = actions.add_parser("list", parents=[data], help="list tokens (never their values)")
    listing.add_argument("--tenant", default=None, help="only this tenant")
    listing.add_argument("--workspace", dest="scope_workspace", default=None, help="only this workspace id")
    listing.set_defaults(handler=_lazy(module, "run_list"))
    revoke = actions.add_parser("revoke", parents=[data], help="revoke a token by id")
    revoke.add_argument("id", help="token id (tok_...)")
    revoke.set_defaults(handler=_lazy(module, "run_revoke"))


def _add_session_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                           common: argparse.ArgumentParser) -> None:
    session = commands.add_parser("session", parents=[common], help="delegated sessions")
    actions = session.add_subparsers(dest="session_command", metavar="ACTION", required=True)
    module = "orchestra.cli.session_commands"
    listing = actions.add_parser("list", parents=[common], help="sessions, newest first (settles hooks first)")
    listing.add_argument("--task", default=None, help="only this task's sessions")
    listing.add_argument("--status", default=None, help="only this status")
    listing.add_argument("--all", action="store_true", help="include closed sessions")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_lazy(module, "run_list"))
    show = actions.add_parser("show", parents=[common], help="one session with its timeline")
    show.add_argument("id", help="session id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_lazy(module, "run_show"))
    cancel = actions.add_parser("cancel", parents=[common], help="cancel a session (frees its slot)")
    cancel.add_argument("id", help="session id")
    cancel.add_argument("--reason", default=None, help="why")
    cancel.add_argument("--json", action="store_true", help="print JSON")
    cancel.set_defaults(handler=_lazy(module, "run_cancel"))


def _lazy(module: str, name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        func: Handler = getattr(importlib.import_module(module), name)
        return func(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors print ``orchestra: <message>`` on stderr and exit non-zero."""
    args = build_parser().parse_args(argv)
    from orchestra.errors import OrchestraError, disk_full_error

    try:
        code: int = args.handler(args)
    except OrchestraError as exc:
        print(f"orchestra: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        full = disk_full_error(exc)
        if full is None:
            raise
        print(f"orchestra: {full}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
