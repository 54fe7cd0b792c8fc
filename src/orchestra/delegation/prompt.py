"""The child prompt (reference §2.6): what a delegated sub-agent reads first."""

from __future__ import annotations

from orchestra.context.marked import MarkedText
from orchestra.runtime.adapters import RuntimeAdapter
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Outcome, Sink
from orchestra.tasks import Task

CONTEXT_POLICY = (
    "Use the Preprocessed Runtime Context bundle below by default.",
    "Cite full source paths from the bundle when deeper inspection is required; do not load raw files unless "
    "the reduced bundle is insufficient for the assigned work.",
    "Preserve omitted content warnings in the handoff so the parent knows what you did not see.",
)


def contract_lines(task_id: str, phase: str, role: str, runtime: str, session_id: str) -> list[str]:
    """The metadata lines a handoff must start with."""
    return [f"- Task id: {task_id}", f"- Phase: {phase}", f"- Role: {role}", f"- Runtime: {runtime}",
            f"- Session id: {session_id}"]


def render_child_prompt(
    *, task: Task, session_id: str, phase: str, role: str, adapter: RuntimeAdapter, brief: str | None,
    ownership_paths: list[str], manifest_markdown: MarkedText, expected_result: str,
) -> MarkedText:
    """The full child prompt in Markdown, as marked lines (see :func:`guard_prompt`).

    ``brief`` and the file contents inside ``manifest_markdown`` passed the prompt guard already and
    are marked ``guarded``. The return contract and the lifecycle self-report hold only fixed text and
    values that appear in the checked header (task id, phase, role, runtime, session id) or in the
    checked handoff line (the handoff path), so they are not scanned a second time."""
    out = MarkedText().check(
        f"# Runtime Child Prompt: {task.title}", "",
        f"- Runtime: {adapter.label} ({adapter.id})",
        f"- Task id: {task.id}",
        f"- Phase: {phase}",
        f"- Role: {role}",
        f"- Session id: {session_id}",
        "- Direct provider API calls: forbidden",
        "", "## Goal", "", task.goal or task.title,
        "", "## Acceptance Criteria", "",
        *([f"- {c}" for c in task.acceptance_criteria] or ["- none declared"]),
        "", "## Ownership Paths", "",
        *([f"- `{p}`" for p in ownership_paths] or ["- none declared"]),
        "", "## Delegation Intent", "",
    )
    if brief:
        out.guarded(brief)
    else:
        out.check("No brief given; work from the goal and acceptance criteria.")
    out.check("", "## Context Loading Policy", "", *(f"- {line}" for line in CONTEXT_POLICY), "")
    out.extend(manifest_markdown)
    out.check("", "## Return Contract", "",
              f"Write your handoff to `{expected_result}` (Markdown). It must start with these lines, exactly:")
    out.guarded(
        "",
        *contract_lines(task.id, phase, role, adapter.id, session_id),
        "",
        "Then the sections `## Summary`, `## Consumed Context Files` (every file you used) and "
        "`## Test Scenarios and Expected Results`. Never copy secrets into the handoff.",
        "Start your final message with the same lines and a short summary: when the handoff file is missing, "
        "Orchestra's host hooks take that message as your handoff; a stop without either fails the session.",
        "", "## Lifecycle Self-Report", "",
        "If you can call Orchestra's MCP tools, report your own lifecycle with `session_update`:",
        f"- now: `session_update(session_id=\"{session_id}\", status=\"active\")`, then again every few minutes "
        "while you work (a session silent for the stale-claim TTL times out);",
        f"- done: `session_update(session_id=\"{session_id}\", status=\"completed\", artifact=\"{expected_result}\")`;",
        f"- stuck: `session_update(session_id=\"{session_id}\", status=\"failed\", summary=\"<safe reason>\")`.",
        "Otherwise your parent reports for you when you return.",
    )
    return out.strip_end().guarded("")


def guard_prompt(guard: SecurityGuard, prompt: MarkedText) -> str:
    """The prompt text that may reach the child, every part of it having passed the guard once.

    One guard call over the lines not guarded yet; when it lets them through unchanged, the prompt
    is used as rendered. When it redacts, withholds or re-encodes anything, the whole prompt is
    guarded instead (as one text, the way it was before), so a finding is never lost to the split.
    Raises :class:`~orchestra.errors.PolicyBlockedError` when the prompt may not pass."""
    full = prompt.text()
    pending = prompt.unguarded()
    decision = guard.guard(pending, Sink.PROMPT)
    if decision.outcome is Outcome.ALLOW and decision.text == pending:
        return full
    return guard.guard_or_raise(full, Sink.PROMPT)
