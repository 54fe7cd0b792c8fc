"""The tool-call corpus (tests/data/tool_calls/): fakes generated at test time and each host's payload shape."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "tool_calls"
CHILD_OWNS = ("src/app", "tests/app")
"""What the delegated child of the corpus owns."""


def _luhn_complete(body: str) -> str:
    for last in "0123456789":
        digits = body + last
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char)
            if index % 2:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def fakes(seed: int = 20) -> dict[str, str]:
    """Fresh fake restricted values with valid shapes and checksums (nothing real, nothing stored)."""
    rng = random.Random(seed)
    alnum = string.ascii_letters + string.digits
    card = _luhn_complete("4" + "".join(rng.choice(string.digits) for _ in range(14)))
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DE00")) % 97
    iban = f"DE{check:02d}{bban}"
    return {
        "GITHUB_TOKEN": "ghp_" + "".join(rng.choice(alnum) for _ in range(36)),
        "AWS_KEY": "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "OPENAI_KEY": "sk-proj-" + "".join(rng.choice(alnum) for _ in range(40)),
        "SLACK_TOKEN": "xoxb-" + "-".join("".join(rng.choice(string.digits) for _ in range(12)) for _ in range(2))
                       + "-" + "".join(rng.choice(alnum) for _ in range(24)),
        "JWT": "eyJ" + "".join(rng.choice(alnum) for _ in range(20)) + ".eyJ" +
               "".join(rng.choice(alnum) for _ in range(30)) + "." + "".join(rng.choice(alnum) for _ in range(30)),
        "CARD": " ".join(card[i:i + 4] for i in range(0, 16, 4)),
        "SSN": f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "IBAN": iban,
        "EMAIL": f"{rng.choice(['maria', 'john', 'aiko', 'lena'])}.{rng.choice(['rossi', 'smith', 'tanaka'])}"
                 f"{rng.randint(10, 99)}@gmail.com",
    }


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, item in values.items():
            value = value.replace("{" + key + "}", item)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def cases(root: Path, home: Path) -> list[dict[str, Any]]:
    """Every corpus case, filled: ``{"id", "expect", "tool", "input", "child"}`` (``expect``: allow/ask/deny)."""
    values = {**fakes(), "ROOT": str(root), "HOME": str(home)}
    out: list[dict[str, Any]] = []
    for n, line in enumerate((DATA / "ordinary_shell.txt").read_text(encoding="utf-8").splitlines()):
        if line.strip():
            out.append({"id": f"ok{n + 1:03d}", "expect": "allow", "tool": "Bash",
                        "input": {"command": _fill(line, values)}, "child": False})
    for n, line in enumerate((DATA / "risky_shell.txt").read_text(encoding="utf-8").splitlines()):
        if line.strip():
            expect, command = line.split("\t", 1)
            out.append({"id": f"bad{n + 1:03d}", "expect": expect, "tool": "Bash",
                        "input": {"command": _fill(command, values)}, "child": False})
    for case in json.loads((DATA / "calls.json").read_text(encoding="utf-8")):
        out.append({**case, "input": _fill(case["input"], values)})
    return out


def payload(case: dict[str, Any], host: str, root: Path, agent_id: str | None = None) -> dict[str, Any] | None:
    """The case in ``host``'s hook input shape, or ``None`` when that host has no hook for such a call."""
    tool, args = case["tool"], case["input"]
    base: dict[str, Any]
    if host == "cursor":
        base = {"conversation_id": "conv-1", "generation_id": "gen-1", "workspace_roots": [str(root)]}
        if tool == "Bash":
            return {**base, "hook_event_name": "beforeShellExecution", "command": args["command"], "cwd": str(root)}
        if tool == "Read":
            return {**base, "hook_event_name": "beforeReadFile", "file_path": args["file_path"], "content": ""}
        if tool.startswith("mcp__"):
            server = tool.split("__")[1]
            return {**base, "hook_event_name": "beforeMCPExecution", "tool_name": tool.split("__", 2)[2],
                    "tool_input": json.dumps(args), "command": f"npx -y {server}-mcp-server"}
        return None
    base = {"session_id": "parent-session", "transcript_path": str(root.parent / "parent.jsonl"), "cwd": str(root),
            "hook_event_name": "PreToolUse", "permission_mode": "default"}
    if agent_id is not None:
        base["agent_id"] = agent_id
        base["agent_type"] = "general-purpose"
    if host == "codex":
        base["turn_id"] = "turn-1"
        if tool in ("Write", "Edit", "MultiEdit"):
            verb = "Add" if tool == "Write" else "Update"
            patch = f"*** Begin Patch\n*** {verb} File: {args['file_path']}\n+x = 1\n*** End Patch\n"
            return {**base, "tool_name": "apply_patch", "tool_input": {"command": patch}}
        if tool in ("Read", "Grep", "Glob", "WebFetch", "WebSearch", "NotebookEdit"):
            return None
    return {**base, "tool_name": tool, "tool_input": args, "tool_use_id": f"toolu_{case['id']}"}
