"""A host's tool call as the seed's operation packet (reference §5.9: kind, subject, action, resource, sink,
payload), for Claude Code and Codex ``PreToolUse`` and Cursor's ``before*`` gates.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

SHELL_TOOLS = frozenset({"Bash", "Shell", "shell", "exec_command", "local_shell", "container.exec", "run_terminal_cmd"})
WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit", "StrReplace", "Delete", "edit_file",
                         "write_file", "create_file"})
READ_TOOLS = frozenset({"Read", "Grep", "Glob", "LS", "NotebookRead", "read_file", "list_dir", "grep_search"})
FETCH_TOOLS = frozenset({"WebFetch", "WebSearch", "web_search", "web_fetch"})
PATCH_TOOLS = frozenset({"apply_patch"})
CURSOR_GATES = {"beforeShellExecution": "shell", "beforeMCPExecution": "mcp", "beforeReadFile": "read"}
PAYLOAD_LIMIT = 512 * 1024


class Operation:
    """One tool call, normalised. ``subject`` is filled in by the caller (``parent`` or ``child:<session>``)."""

    __slots__ = ("action", "command", "cwd", "kind", "paths", "payload", "server", "sink", "subject", "tool", "url")

    def __init__(self, kind: str, action: str, tool: str, *, payload: str = "", paths: tuple[str, ...] = (),
                 command: str | None = None, url: str | None = None, server: str | None = None,
                 cwd: str | None = None) -> None:
        self.kind = kind
        """``shell``, ``write``, ``read``, ``fetch``, ``mcp`` or ``other``."""
        self.action = action
        """``command.execute``, ``file.write``, ``file.read``, ``url.fetch``, ``mcp.call`` or ``tool.other``."""
        self.tool = tool
        self.payload = payload
        self.paths = paths
        self.command = command
        self.url = url
        self.server = server
        self.cwd = cwd
        self.subject = "parent"
        self.sink = {"shell": "local", "write": "workspace", "read": "workspace", "fetch": "network",
                     "mcp": f"mcp:{server or '?'}"}.get(kind, "local")

    def resource(self) -> dict[str, Any]:
        """The packet's resource (no values: the tool, the path count, the server)."""
        return {"resourceType": {"shell": "command", "write": "file", "read": "file", "fetch": "url",
                                 "mcp": "mcp"}.get(self.kind, "tool"),
                "tool": self.tool[:100], "paths": len(self.paths), "server": (self.server or "")[:100] or None}

    def packet(self) -> dict[str, Any]:
        """The operation packet without its payload text (what an audit event may carry)."""
        return {"kind": self.kind, "subject": self.subject, "action": self.action, "resource": self.resource(),
                "sink": self.sink}


def host_of(runtime: str | None, event: str | None) -> str:
    """``claude``, ``codex`` or ``cursor`` from the ``--runtime`` id or the event name."""
    if runtime:
        for host in ("claude", "codex", "cursor"):
            if runtime.startswith(host):
                return host
    if event in CURSOR_GATES or (event or "")[:1].islower():
        return "cursor"
    return "claude"


def from_hook(payload: Mapping[str, Any], event: str | None = None) -> Operation:
    """The operation of one hook payload (any host)."""
    name = event or payload.get("hook_event_name")
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    if name in CURSOR_GATES:
        return _cursor_gate(str(name), payload, cwd)
    tool = payload.get("tool_name")
    tool = tool if isinstance(tool, str) else ""
    args = payload.get("tool_input")
    args = _as_object(args) if not isinstance(args, dict) else args
    return from_tool(tool, args or {}, cwd=cwd)


def from_tool(tool: str, args: Mapping[str, Any], *, cwd: str | None = None) -> Operation:
    """The operation of a tool name and its arguments (Claude Code / Codex / Cursor ``preToolUse`` names)."""
    text = _payload(args)
    if tool in SHELL_TOOLS:
        command = args.get("command", args.get("cmd"))
        if isinstance(command, list):
            command = _join(command)
        command = command if isinstance(command, str) else text
        workdir = args.get("workdir") if isinstance(args.get("workdir"), str) else cwd
        return Operation("shell", "command.execute", tool, payload=command, command=command, cwd=workdir)
    if tool in WRITE_TOOLS:
        return Operation("write", "file.write", tool, payload=text, paths=_paths(args), cwd=cwd)
    if tool in PATCH_TOOLS:
        return Operation("write", "file.write", tool, payload=text, paths=patch_paths(text), cwd=cwd)
    if tool in READ_TOOLS:
        paths = _paths(args)
        pattern = args.get("pattern")
        if tool == "Glob" and isinstance(pattern, str):
            paths = (*paths, pattern)
        return Operation("read", "file.read", tool, payload="", paths=paths, cwd=cwd)
    if tool in FETCH_TOOLS:  # what reaches the network is the URL or the query (a prompt goes to the model)
        url = args.get("url") if isinstance(args.get("url"), str) else None
        sent = "\n".join(v for k in ("url", "query", "q", "search_term") if isinstance(v := args.get(k), str))
        return Operation("fetch", "url.fetch", tool, payload=sent or text, url=url, cwd=cwd)
    if tool.startswith("mcp__"):
        server = tool.split("__")[1] if tool.count("__") >= 2 else tool[5:]
        return Operation("mcp", "mcp.call", tool, payload=text, server=server, cwd=cwd)
    return Operation("other", "tool.other", tool, payload=text, cwd=cwd)


def _cursor_gate(name: str, payload: Mapping[str, Any], cwd: str | None) -> Operation:
    kind = CURSOR_GATES[name]
    if kind == "shell":
        command = payload.get("command")
        command = command if isinstance(command, str) else ""
        return Operation("shell", "command.execute", "beforeShellExecution", payload=command, command=command,
                         cwd=cwd)
    if kind == "read":
        path = payload.get("file_path")
        return Operation("read", "file.read", "beforeReadFile", paths=(path,) if isinstance(path, str) else (),
                         cwd=cwd)
    tool = payload.get("tool_name")
    raw = payload.get("tool_input")
    text = raw if isinstance(raw, str) else _payload(raw)
    server = next((payload[k] for k in ("server_name", "url", "command") if isinstance(payload.get(k), str)), None)
    return Operation("mcp", "mcp.call", tool if isinstance(tool, str) else "", payload=text, server=server, cwd=cwd)


def patch_paths(text: str) -> tuple[str, ...]:
    """Files an ``apply_patch`` envelope adds, updates, deletes or moves to."""
    out = []
    for line in text.splitlines():
        for marker in ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "):
            if line.startswith(marker):
                out.append(line[len(marker):].strip())
    return tuple(out)


def _paths(args: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for key in ("file_path", "notebook_path", "path", "target_file", "filePath", "relative_workspace_path"):
        value = args.get(key)
        if isinstance(value, str) and value:
            out.append(value)
    return tuple(out)


def _payload(value: object) -> str:
    """Every string in the arguments, one per line, bounded."""
    parts: list[str] = []
    size = 0
    for text in _strings(value):
        parts.append(text)
        size += len(text)
        if size > PAYLOAD_LIMIT:
            break
    return "\n".join(parts)[:PAYLOAD_LIMIT]


def _strings(value: object, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < 8 and isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                yield f"{key}={item}"
            else:
                yield from _strings(item, depth + 1)
    elif depth < 8 and isinstance(value, list):
        for item in value[:1000]:
            yield from _strings(item, depth + 1)


def _join(parts: list[Any]) -> str:
    words = [str(p) for p in parts]
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh") and words[1] in ("-c", "-lc"):
        return " ".join(words[2:])
    import shlex

    return " ".join(shlex.quote(w) for w in words)


def _as_object(value: object) -> dict[str, Any] | None:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        import json

        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
