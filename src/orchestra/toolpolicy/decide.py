"""The decision for one operation: allow, ask or deny, with the rule and a reason that says what to do instead."""

from __future__ import annotations

import os

from orchestra.toolpolicy.config import ALWAYS_PROTECTED, WRITE_PROTECTED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestra.toolpolicy.config import ToolPolicy
    from orchestra.toolpolicy.packet import Operation

_RANK = {"allow": 0, "ask": 1, "deny": 2}
OWN_OUTPUTS = (".agent-workflow/handoffs",)
"""Where every delegated child may write whatever its task owns (its handoff)."""


class Caller:
    """Who makes the call: the parent (no restriction on paths) or a delegated child Orchestra knows."""

    __slots__ = ("ownership", "role", "session_id", "task_id")

    def __init__(self, session_id: str | None = None, *, task_id: str | None = None, role: str | None = None,
                 ownership: tuple[str, ...] = ()) -> None:
        self.session_id = session_id
        self.task_id = task_id
        self.role = role
        self.ownership = ownership

    @property
    def is_child(self) -> bool:
        return self.session_id is not None


class Decision:
    """The outcome, the rule that decided it (``None`` for a quiet allow) and the reason for the agent."""

    __slots__ = ("action", "labels", "outcome", "reason", "rule")

    def __init__(self, outcome: str, rule: str | None = None, action: str | None = None, reason: str = "",
                 labels: tuple[str, ...] = ()) -> None:
        self.outcome = outcome
        self.rule = rule
        self.action = action
        self.reason = reason
        self.labels = labels

    def to_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "rule": self.rule, "action": self.action, "reason": self.reason,
                "labels": list(self.labels)}


ALLOW = Decision("allow")


def decide(op: Operation, policy: ToolPolicy, caller: Caller, root: str, *, home: str | None = None) -> Decision:
    """The strictest decision of every rule that applies to ``op`` (``root``: the workspace root, absolute)."""
    if not policy.enabled:
        return ALLOW
    role = caller.role if caller.is_child else None
    op.subject = f"child:{caller.session_id}" if caller.is_child else "parent"
    candidates: list[Decision] = []
    facts = None
    if op.kind == "shell" and op.command:
        from orchestra.toolpolicy.shell import analyse  # only shell calls need the shell reader

        facts = analyse(op.command)
    if facts is not None and facts.network:
        op.sink = "network"
    base = op.cwd if op.cwd and os.path.isabs(op.cwd) else root
    touched = list(op.paths)
    if facts is not None:
        custom = len(policy.protected_paths) > len(ALWAYS_PROTECTED)
        touched += [w for w in facts.words if "state.db" in w or "keys" in w or (custom and "/" in w)]
    protected = [p for p in touched if _protected(p, base, root, policy, home)]
    if facts is not None and not protected:
        protected = [e for e in policy.protected_paths if not os.path.isabs(e) and not any(c in e for c in "*?[")
                     and e in (op.command or "")]  # inside a script or an argument string
    if protected:
        candidates.append(_rule(policy, "protectedPath", role, "tool.protected-path", (
            "Orchestra blocked this: it touches Orchestra's workspace key or state database (or a path the "
            "workspace policy protects). No agent reads or writes these; use the orchestra CLI or MCP tools to "
            "read workflow state instead.")))
    written = list(op.paths) if op.kind == "write" else list(facts.writes) if facts is not None else []
    if any(_policy_file(p, base, root, home) for p in written):
        candidates.append(_rule(policy, "protectedPath", role, "tool.policy-file", (
            "Orchestra blocked this: it changes Orchestra's configuration or the host settings that install "
            "Orchestra's hooks, which govern this agent. Tell the user what you want changed and why; they "
            "edit these files themselves (or run `orchestra init`).")))
    labels = _exfiltration(op, facts, policy)
    if labels:
        candidates.append(_rule(policy, "exfiltration", role, "tool.exfiltration", (
            f"Orchestra blocked this: the {op.kind} call would send restricted data ({', '.join(labels)}) to "
            f"{'an MCP server outside the allow-list' if op.kind == 'mcp' else 'a network destination'}. Remove the "
            "value: reference credentials through an environment variable or the tool's own login, and do not "
            "send secrets, card numbers or personal data off this machine."), labels))
    if caller.is_child and caller.ownership:
        outside = [p for p in written if not _in_scope(p, base, root, caller.ownership, policy, home)]
        if outside:
            owned = ", ".join(caller.ownership[:6]) + (" …" if len(caller.ownership) > 6 else "")
            candidates.append(_rule(policy, "outOfScopeWrite", role, "tool.out-of-scope-write", (
                f"Orchestra blocked this: delegated session {caller.session_id} owns only {owned}; this call writes "
                "outside those paths. Keep your changes inside them, or say in your handoff which other files "
                "need changing so the parent can widen the task.")))
    if facts is not None and facts.risks and not _allowed_command(op.command or "", policy):
        candidates.extend(_risk_decisions(facts.risks, base, root, policy, role, home))
    if not candidates:
        return ALLOW
    return max(candidates, key=lambda d: _RANK[d.outcome])


def _rule(policy: ToolPolicy, action: str, role: str | None, rule: str, reason: str,
          labels: tuple[str, ...] = ()) -> Decision:
    return Decision(policy.outcome(action, role), rule, action, reason, labels)


_RISK_REASONS = {
    "destructive": ("tool.destructive", "Orchestra asks before this destructive command ({label}). Confirm it with "
                    "the user, or limit it to paths inside the workspace."),
    "forcePush": ("tool.force-push", "Orchestra asks before a force push ({label}): it rewrites shared history. "
                  "Push normally, or confirm with the user first."),
    "publish": ("tool.publish", "Orchestra asks before publishing ({label}): a release cannot be taken back. "
                "Confirm with the user first."),
    "operatorCommand": ("tool.operator-command", "Orchestra blocked this: `{label}` is a person's decision and an "
                        "agent may not run it. Tell the user what is pending (the approval id) and ask them to run "
                        "the command in their own terminal."),
    "remoteScript": ("tool.remote-script", "Orchestra asks before running {label}. Download the script to a file, "
                     "read it, then run it."),
}


def _risk_decisions(risks: list[tuple[str, str]], base: str, root: str, policy: ToolPolicy, role: str | None,
                    home: str | None) -> list[Decision]:
    out = []
    for kind, detail in risks:
        action, label = kind, detail
        if kind == "destructive:path":
            if not _dangerous_target(detail, base, root, policy, home):
                continue
            action, label = "destructive", "recursive removal or permission change outside the workspace"
        rule, reason = _RISK_REASONS[action]
        out.append(_rule(policy, action, role, rule, reason.format(label=label)))
    return out


def _exfiltration(op: Operation, facts: object, policy: ToolPolicy) -> tuple[str, ...]:
    from orchestra.toolpolicy.shell import ShellFacts

    if op.kind == "shell" and isinstance(facts, ShellFacts) and not facts.network:
        return ()
    if (op.kind == "mcp" and _known_server(op.server, policy)) or op.kind not in ("shell", "fetch", "mcp"):
        return ()
    from orchestra.toolpolicy.data import findings  # compiled only when something could leave the machine

    if op.kind == "shell" and isinstance(facts, ShellFacts):
        labels = findings(op.command or "")
        if facts.uploads:
            labels.append("secret file")
        return tuple(labels)
    return tuple(findings(op.payload))


def _known_server(server: str | None, policy: ToolPolicy) -> bool:
    if not server:
        return False
    return any(server == name or (len(name) >= 3 and name in server) for name in policy.mcp_servers)


def _allowed_command(command: str, policy: ToolPolicy) -> bool:
    text = " ".join(command.split())
    return any(text == prefix or text.startswith(prefix.rstrip() + " ") for prefix in policy.allowed_commands)


def resolve(path: str, base: str, home: str | None) -> str | None:
    """``path`` as an absolute normalised path (``~`` and ``$HOME`` expanded); ``None`` for other variables."""
    text = path.strip().strip("'\"")
    if not text:
        return None
    if text.startswith(("~/", "$HOME/", "${HOME}/")) or text in ("~", "$HOME", "${HOME}"):
        if not home:
            return None
        text = home + text.split("~", 1)[1] if text.startswith("~") else home + text.split("}", 1)[-1] \
            if text.startswith("${") else home + text[5:]
    if "$" in text or "`" in text:
        return None
    absolute = text if os.path.isabs(text) else os.path.join(base, text)
    return os.path.normpath(absolute)


def relative_to(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` in POSIX form, or ``None`` outside it."""
    if path == root:
        return ""
    prefix = root.rstrip(os.sep) + os.sep
    return path[len(prefix):].replace(os.sep, "/") if path.startswith(prefix) else None


def _matches(rel: str, entry: str) -> bool:
    entry = entry.strip("/")
    if any(c in entry for c in "*?["):
        import fnmatch

        return fnmatch.fnmatchcase(rel, entry) or fnmatch.fnmatchcase(rel, entry.rstrip("/*") + "/*")
    return rel == entry or rel.startswith(entry + "/") or (entry.endswith(".db") and rel.startswith(entry))


def _protected(path: str, base: str, root: str, policy: ToolPolicy, home: str | None) -> bool:
    absolute = resolve(path, base, home)
    if absolute is None:
        return False
    candidates = {absolute}
    if os.path.lexists(absolute):
        candidates.add(os.path.realpath(absolute))
    for candidate in candidates:
        rel = relative_to(candidate, root)
        for entry in policy.protected_paths:
            if os.path.isabs(entry):
                if candidate == entry or candidate.startswith(entry.rstrip("/") + "/"):
                    return True
            elif rel is not None and _matches(rel, entry):
                return True
    return False


def _policy_file(path: str, base: str, root: str, home: str | None) -> bool:
    """Whether writing ``path`` would change the policy or the host files that install the hook."""
    absolute = resolve(path, base, home)
    if absolute is None:
        return False
    for candidate in {absolute, os.path.realpath(absolute)} if os.path.lexists(absolute) else {absolute}:
        for top in (root, os.path.realpath(root)):
            rel = relative_to(candidate, top)
            if rel is not None and rel in WRITE_PROTECTED:
                return True
    return False


def _in_scope(path: str, base: str, root: str, owned: tuple[str, ...], policy: ToolPolicy,
              home: str | None) -> bool:
    """Whether a child may write ``path``: as written and as really reached (through any symlink)."""
    absolute = resolve(path, base, home)
    if absolute is None:
        return True  # a variable we cannot resolve: not judged (see docs/security.md)
    return _owned(absolute, root, owned, policy) and _owned(os.path.realpath(absolute), os.path.realpath(root),
                                                            owned, policy)


def _owned(absolute: str, root: str, owned: tuple[str, ...], policy: ToolPolicy) -> bool:
    rel = relative_to(absolute, root)
    if rel is None:  # outside the workspace: only the scratch folders
        scratch = {*policy.scratch_paths, *(os.path.realpath(s) for s in policy.scratch_paths)}
        return any(absolute == s or absolute.startswith(s.rstrip("/") + "/") for s in scratch)
    return any(_matches(rel, entry) for entry in (*owned, *OWN_OUTPUTS))


def _dangerous_target(path: str, base: str, root: str, policy: ToolPolicy, home: str | None) -> bool:
    text = path.strip().strip("'\"")
    if text in ("/", "/*", "~", "~/", "~/*", "$HOME", "${HOME}", "$HOME/", "$HOME/*"):
        return True
    absolute = resolve(text, base, home)
    if absolute is None:
        return False
    if any(absolute == s.rstrip("/") + "/" or absolute.startswith(s.rstrip("/") + "/") for s in policy.scratch_paths):
        return False
    rel = relative_to(absolute, root)
    return rel is None or rel == ""
