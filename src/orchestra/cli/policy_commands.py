"""``orchestra policy test '<tool json>'``: the decision the pre-tool-use guard would make for a hypothetical call."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from orchestra.cli.output import print_json
from orchestra.errors import ConfigError, ValidationError

MAX_CALL_BYTES = 1_048_576


def run_policy_test(args: argparse.Namespace) -> int:
    """Print the decision (exit 0 allow, 2 ask, 3 deny); nothing is recorded."""
    from orchestra.runtime.pretool import evaluate, load_policy, render
    from orchestra.toolpolicy.config import ToolPolicyError, policy_from_config
    from orchestra.workspace.root import discover_root

    payload = _call(args.call, args.host)
    root = str(discover_root(getattr(args, "workspace", None)).root)
    policy = load_policy(root)
    if policy == "config-invalid":
        try:
            with open(f"{root}/.agent-workflow/config.json", "rb") as handle:
                policy_from_config(json.loads(handle.read()))
        except ToolPolicyError as exc:
            raise ConfigError(str(exc)) from None
    if args.session:
        payload["agent_id"] = args.session
    runtime = {"claude": "claude-cli", "codex": "codex-cli", "cursor": "cursor-cli"}[args.host]
    outcome = evaluate(payload, runtime=runtime, workspace=root, env={"HOME": _home()}, record=False)
    decision = outcome.decision
    shown = decision.to_dict() if decision is not None else {"outcome": "allow", "rule": None, "action": None,
                                                              "reason": "", "labels": []}
    event = payload.get("hook_event_name") if isinstance(payload.get("hook_event_name"), str) else None
    result = {"workspace": root, "host": outcome.host, "note": outcome.note, "decision": shown,
              "hostOutput": render(outcome.host, event, decision)}
    if args.json:
        print_json(result)
    else:
        line = f"{shown['outcome']}" + (f" ({shown['rule']})" if shown["rule"] else "")
        print(line if outcome.note not in ("no-workspace", "not-initialized") else f"{line} — {outcome.note}")
        if shown["reason"]:
            print(shown["reason"])
    return {"allow": 0, "ask": 2, "deny": 3}[str(shown["outcome"])]


def _call(raw: str, host: str) -> dict[str, Any]:
    """A host payload from ``'{"tool_name": …, "tool_input": …}'`` (or a Cursor gate payload, or ``-``)."""
    text = sys.stdin.read(MAX_CALL_BYTES + 1) if raw == "-" else raw
    if len(text) > MAX_CALL_BYTES:
        raise ValidationError(f"the tool call is larger than {MAX_CALL_BYTES} bytes")
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError("the tool call is not valid JSON (expected {\"tool_name\": …, \"tool_input\": …})") \
            from None
    if not isinstance(data, dict):
        raise ValidationError("the tool call must be a JSON object")
    if "tool" in data and "tool_name" not in data:
        data = {"tool_name": data.get("tool"), "tool_input": data.get("input", data.get("args", {}))}
    if "hook_event_name" not in data:
        data["hook_event_name"] = "PreToolUse" if host != "cursor" or "tool_name" in data else "beforeShellExecution"
    return data


def _home() -> str:
    import os

    return os.path.expanduser("~")
