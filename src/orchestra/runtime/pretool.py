"""``orchestra hook pre-tool``: the point-of-action guard a host runs before every tool call an agent makes.

Claude Code and Codex call it on ``PreToolUse``; Cursor on ``beforeShellExecution``,
``beforeMCPExecution`` and ``beforeReadFile``. It reads the host's payload (bounded), turns it into an
operation packet (:mod:`orchestra.toolpolicy.packet`), finds out whether the caller is a delegated child
Orchestra knows (the lifecycle hooks record the host's agent id on the session), decides with
:func:`orchestra.toolpolicy.decide.decide` under ``security.toolPolicy`` and answers in the host's own format.
Every deny and ask is a keyed audit event (rule, operation kind/action/sink, session; never a value).

Standard library only; always exits 0. Fails open on Orchestra's own absence (no workspace, not initialized,
unreadable config: no opinion); a guard error denies only when ``security.toolPolicy.onError`` is ``deny``.
"""

from __future__ import annotations

import os
import sys

from orchestra.runtime import hook as lifecycle

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from orchestra.toolpolicy.config import ToolPolicy
    from orchestra.toolpolicy.decide import Caller, Decision
    from orchestra.toolpolicy.packet import Operation

DENIED_EVENT = "TOOL_POLICY_DENIED"
ASKED_EVENT = "TOOL_POLICY_ASKED"
CONFIG_LIMIT = 1_048_576
REQUEST_LIMIT = 256 * 1024


class Outcome:
    """What one call decided and why (for tests and ``ORCHESTRA_HOOK_DEBUG``)."""

    __slots__ = ("decision", "host", "note", "recorded")

    def __init__(self, host: str, decision: Decision | None, note: str, recorded: bool = False) -> None:
        self.host = host
        self.decision = decision
        self.note = note
        self.recorded = recorded


def evaluate(payload: Mapping[str, Any], *, runtime: str | None, workspace: str | None, env: Mapping[str, str],
             event: str | None = None, record: bool = True) -> Outcome:
    """Decide one hook payload; ``decision`` is ``None`` when Orchestra has no opinion (fail open)."""
    from orchestra.toolpolicy.packet import from_hook, host_of

    name = event or payload.get("hook_event_name")
    host = host_of(runtime, name if isinstance(name, str) else None)
    op = from_hook(payload, name if isinstance(name, str) else None)
    if op.kind == "other":
        return Outcome(host, None, "ignored")
    root = lifecycle._root(payload, workspace, env)
    if root is None:
        return Outcome(host, None, "no-workspace")
    folder = os.path.join(root, lifecycle.WORKFLOW_DIR)
    if not os.path.isdir(folder) or os.path.islink(folder):
        return Outcome(host, None, "not-initialized")
    db = lifecycle.workspace_db(root)  # None: nothing written yet, or the state lives in PostgreSQL
    loaded = load_policy(root)
    if isinstance(loaded, str):  # a broken config.json never switches the guard off: the defaults apply
        from orchestra.toolpolicy.config import ToolPolicy

        policy = ToolPolicy()
    else:
        policy = loaded
    try:
        from orchestra.toolpolicy.decide import Caller, decide

        caller = find_caller(db, root, payload, host) if db is not None else Caller()
        decision = decide(op, policy, caller, root, home=env.get("HOME") or None)
    except Exception as exc:  # a guard error: fail closed only where the policy says so
        from orchestra.toolpolicy.decide import Caller, Decision

        if policy.on_error != "deny":
            return Outcome(host, None, f"error:{type(exc).__name__}")
        caller = Caller()
        decision = Decision("deny", "tool.guard-error", None, "Orchestra's tool guard failed and this workspace's "
                            "policy fails closed; retry, or ask the user to run `orchestra doctor`.")
    if decision.outcome == "allow":
        return Outcome(host, decision, "allow")
    if isinstance(loaded, str):
        decision.reason += (" (This workspace's config.json could not be read as a valid policy, so Orchestra's "
                            "default policy applied; ask the user to run `orchestra doctor`.)")
    recorded = record and db is not None and record_decision(db, op, decision, caller, host)
    return Outcome(host, decision, decision.outcome, recorded)


def load_policy(root: str) -> ToolPolicy | str:
    """The workspace's tool policy, or why there is none (``config-unreadable``, ``config-invalid``)."""
    import json

    from orchestra.toolpolicy.config import ToolPolicyError, policy_from_config

    path = os.path.join(root, lifecycle.WORKFLOW_DIR, "config.json")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(CONFIG_LIMIT + 1)
    except FileNotFoundError:
        raw = b"{}"
    except OSError:
        return "config-unreadable"
    try:
        if len(raw) > CONFIG_LIMIT:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return policy_from_config(data)
    except ToolPolicyError:
        return "config-invalid"
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "config-unreadable"


def find_caller(db: str, root: str, payload: Mapping[str, Any], host: str = "claude") -> Caller:
    """The delegated child making this call, or the parent.

    A call inside a host sub-agent carries the host's agent id (Claude Code and Codex ``agent_id``); the
    lifecycle hooks record it on the session. A Codex sub-agent is its own thread, so its hooks' ``session_id``
    is that agent id too. Claude Code records the id only when the child stops, so the child's transcript
    (``…/<session>/subagents/agent-<id>.jsonl`` beside the parent's) is read for its ``Session id:`` line
    when the id is not yet known.
    """
    from orchestra.toolpolicy.decide import Caller

    keys = ("agent_id", "subagent_id", "session_id") if host == "codex" else ("agent_id", "subagent_id")
    agent = next((payload[k].strip()[:200] for k in keys if isinstance(payload.get(k), str) and payload[k].strip()),
                 None)
    if agent is None:
        return Caller()
    conn = lifecycle._connect(db, readonly=True)
    try:
        found = lifecycle.find_session(conn, [], agent)
        if found is None:
            candidates = lifecycle.transcript_candidates(_transcripts(payload, agent), root)
            found = lifecycle.find_session(conn, candidates, None) if candidates else None
        if found is None or found[1] not in lifecycle.LIVE:
            return Caller()
        sid, _, _, task_id, _, _, role, artifacts = found
        row = conn.execute("SELECT ownership_paths FROM tasks WHERE id = ?", (task_id,)).fetchone()
    finally:
        conn.close()
    owned = _json_list(row[0] if row else None) + _request_paths(root, artifacts)
    return Caller(str(sid), task_id=str(task_id), role=str(role), ownership=tuple(dict.fromkeys(owned)))


def _transcripts(payload: Mapping[str, Any], agent: str) -> dict[str, str]:
    out = {}
    for key in ("agent_transcript_path", "subagent_transcript_path"):
        if isinstance(payload.get(key), str):
            out[key] = payload[key]
    parent = payload.get("transcript_path")
    if "agent_transcript_path" not in out and isinstance(parent, str) and parent.endswith(".jsonl") and \
            os.path.isabs(parent) and "/" not in agent and ".." not in agent:
        out["agent_transcript_path"] = os.path.join(parent[:-6], "subagents", f"agent-{agent}.jsonl")
    return out


def _json_list(raw: object) -> list[str]:
    import json

    try:
        value = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _request_paths(root: str, artifacts: object) -> list[str]:
    """The session's extra ownership paths (its spawn request JSON, written by Orchestra)."""
    import json

    try:
        rel = json.loads(artifacts).get("request_json") if isinstance(artifacts, str) else None
        if not isinstance(rel, str) or rel.startswith("/") or ".." in rel.split("/"):
            return []
        with open(os.path.join(root, rel), "rb") as handle:
            doc = json.loads(handle.read(REQUEST_LIMIT))
    except (OSError, ValueError, AttributeError):
        return []
    paths = doc.get("ownershipPaths") if isinstance(doc, dict) else None
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def record_decision(db: str, op: Operation, decision: Decision, caller: Caller, host: str) -> bool:
    """Append the keyed audit event of a deny or an ask; ``False`` when it could not be written."""
    import time

    from orchestra.events.chain import ChainKey, append_chained, canonical_json

    key = lifecycle._workspace_key(db)
    if key is None:
        return False
    packet = op.packet()
    metadata = {"rule": decision.rule, "outcome": decision.outcome, "policyAction": decision.action,
                "kind": packet["kind"], "action": packet["action"], "sink": packet["sink"],
                "resourceType": packet["resource"]["resourceType"], "tool": packet["resource"]["tool"],
                "host": host, "sessionId": caller.session_id, "subject": "child" if caller.is_child else "parent",
                "role": caller.role, "labels": list(decision.labels), "redactions": 0}
    stamp = lifecycle.iso_from_ms(int(time.time() * 1000))
    kind = DENIED_EVENT if decision.outcome == "deny" else ASKED_EVENT
    summary = f"Tool call {decision.outcome}: {decision.rule} ({packet['kind']} → {packet['sink'].split(':')[0]})"
    try:
        conn = lifecycle._connect(db, readonly=False)
    except Exception:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            append_chained(lifecycle._Tx(conn), ChainKey(key), type_=kind, actor="hook:pre-tool",
                           task_id=caller.task_id, summary=summary[:2000], metadata_json=canonical_json(metadata),
                           artifacts_json="[]", timestamp=stamp)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except Exception:
        return False
    finally:
        conn.close()
    return True


# -- the host's answer ------------------------------------------------------------------------------------------


def render(host: str, event: str | None, decision: Decision | None) -> str:
    """stdout for the host: Claude Code / Codex ``hookSpecificOutput`` JSON, Cursor's permission fields.

    A quiet allow prints nothing (Claude Code, Codex) or ``{}`` (Cursor) so the host's own permission flow is
    unchanged. Codex accepts only ``deny`` from a ``PreToolUse`` hook, so an ask leaves the decision to Codex's
    approval policy (the reason goes to stderr).
    """
    import json

    if decision is None or decision.outcome == "allow":
        return "{}\n" if host == "cursor" else ""
    if host == "cursor":
        permission = decision.outcome
        if event == "beforeReadFile" and permission == "ask":
            permission = "deny"  # beforeReadFile takes allow/deny only
        body: dict[str, str] = {"permission": permission}
        if event != "beforeReadFile":
            body["user_message"] = f"Orchestra {decision.outcome}: {decision.rule}"
            body["agent_message"] = decision.reason
        return json.dumps(body) + "\n"
    if host == "codex" and decision.outcome == "ask":
        return ""
    return json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                              "permissionDecision": decision.outcome,
                                              "permissionDecisionReason": decision.reason}}) + "\n"


def main(argv: Sequence[str]) -> int:
    """``orchestra hook pre-tool [<event>] [--runtime <id>] [--workspace <dir>]``; always exits 0."""
    event, runtime, workspace = lifecycle._parse(argv)
    event = None if event in (None, "pre-tool") else event
    debug = os.environ.get("ORCHESTRA_HOOK_DEBUG") == "1"
    from orchestra.toolpolicy.packet import host_of

    outcome = Outcome(host_of(runtime, event), None, "no-input")
    try:
        raw = lifecycle.read_raw(lifecycle._stdin())
        payload = lifecycle.parse_payload(raw) if raw is not None else None
        if payload is not None:
            name = event or payload.get("hook_event_name")
            event = name if isinstance(name, str) else None
            outcome = evaluate(payload, runtime=runtime, workspace=workspace, env=os.environ, event=event)
    except Exception as exc:  # never break the user's work because of us
        outcome = Outcome(outcome.host, None, f"error:{type(exc).__name__}")
    try:
        sys.stdout.write(render(outcome.host, event, outcome.decision))
        if outcome.decision is not None and outcome.host == "codex" and outcome.decision.outcome == "ask":
            sys.stderr.write(f"orchestra: {outcome.decision.reason}\n")
        if debug:
            rule = outcome.decision.rule if outcome.decision is not None else None
            sys.stderr.write(f"orchestra hook pre-tool: {outcome.note} {rule or ''}".rstrip() + "\n")
        sys.stdout.flush()
    except OSError:
        pass
    return 0
