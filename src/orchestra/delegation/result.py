"""Validating a completion against the return contract, and guarding it before it is stored or shown.

A handoff artifact must live under ``.agent-workflow/`` (a path segment test, not a
string prefix), start with the contract's metadata lines matching the session, and is
rewritten redacted when the guard finds secrets in it. A structured result must carry a
summary; any contract ids it carries must match the session.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestra.delegation.errors import ResultContractError
from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Encoding, GuardContext, GuardDecision, Sink
from orchestra.security.retained import RetainedRegion
from orchestra.workspace.atomic import atomic_write_text
from orchestra.workspace.paths import guard_path
from orchestra.workspace.root import WORKFLOW_DIR

MAX_ARTIFACT_BYTES = 512 * 1024
MAX_RESULT_JSON = 64 * 1024
CONTRACT_KEYS = {"task id": "task_id", "phase": "phase", "role": "role", "runtime": "runtime",
                 "session id": "session_id"}
PLAIN = GuardContext(encoding=Encoding.NONE, source_kind="delegation-result")
_META = re.compile(r"^\s*(?:[-*]\s+)?(task id|phase|role|runtime|session id)\s*:\s*(.+?)\s*$", re.IGNORECASE)


def workflow_artifact(root: Path, raw: str) -> tuple[str, Path]:
    """Guard ``raw`` and require it under ``.agent-workflow/`` (segment test)."""
    guarded = guard_path(root, raw)
    if guarded.relative.split("/", 1)[0] != WORKFLOW_DIR or "/" not in guarded.relative:
        raise PathOutsideWorkspaceError(f"runtime artifacts must be workspace workflow-local (under {WORKFLOW_DIR}/)")
    return guarded.relative, guarded.absolute


Retain = Callable[[str, str, tuple[RetainedRegion, ...]], None]
"""``retain(source_kind, field, regions)``: hands redacted values (in memory) to the fragment service."""


def guard_evidence(guard: SecurityGuard, text: str, retain: Retain | None, kind: str, field: str) -> GuardDecision:
    """Guard ``text`` for the evidence sink; with ``retain``, pass on its redacted regions."""
    if retain is None:
        return guard.guard(text, Sink.EVIDENCE, PLAIN)
    decision, regions = guard.guard_retaining(text, Sink.EVIDENCE, PLAIN)
    if regions:
        retain(kind, field, regions)
    return decision


def check_artifact(root: Path, raw: str, expected: dict[str, str], guard: SecurityGuard,
                   retain: Retain | None = None) -> tuple[str, int]:
    """Validate a handoff file; rewrite it redacted if needed. Returns (relative path, redactions)."""
    relative, absolute = workflow_artifact(root, raw)
    if not absolute.is_file():
        raise ResultContractError(f"the handoff artifact {relative} does not exist")
    if absolute.stat().st_size > MAX_ARTIFACT_BYTES:
        raise ResultContractError(f"the handoff artifact is larger than {MAX_ARTIFACT_BYTES} bytes")
    text = absolute.read_text(encoding="utf-8", errors="replace")
    problem = contract_problem(text, expected)
    if problem is not None:
        raise ResultContractError(f"completion artifact {problem}")
    decision = guard_evidence(guard, text, retain, "handoff_artifact", relative)
    if decision.text is None:
        raise ResultContractError(f"the handoff artifact was refused by the security guard ({decision.outcome})")
    if decision.redaction_count:
        atomic_write_text(absolute, decision.text)
    return relative, decision.redaction_count


def contract_problem(text: str, expected: dict[str, str]) -> str | None:
    """What is wrong with the return contract's metadata lines in ``text`` (``None``: they match)."""
    found: dict[str, str] = {}
    for line in text.splitlines()[:60]:
        match = _META.match(line)
        if match and CONTRACT_KEYS[match.group(1).lower()] not in found:
            found[CONTRACT_KEYS[match.group(1).lower()]] = match.group(2).strip("`")
    for key, field in CONTRACT_KEYS.items():
        if field not in found:
            return f"metadata missing: '{key.capitalize()}:' line"
        if found[field] != expected[field]:
            return f"{key} does not match the session (expected {expected[field][:80]!r})"
    return None


def check_result(result: dict[str, Any], expected: dict[str, str], guard: SecurityGuard,
                 retain: Retain | None = None) -> tuple[dict[str, Any], int]:
    """Validate a structured result and return it with every string redacted."""
    if not isinstance(result, dict):
        raise ValidationError("result must be a JSON object")
    try:
        size = len(json.dumps(result))
    except (TypeError, ValueError):
        raise ValidationError("result must be JSON-serialisable") from None
    if size > MAX_RESULT_JSON:
        raise ValidationError(f"result is larger than {MAX_RESULT_JSON} bytes of JSON")
    summary = result.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ResultContractError("result must include a non-empty 'summary' string")
    for field in CONTRACT_KEYS.values():
        if field in result and str(result[field]) != expected[field]:
            raise ResultContractError(f"result {field} does not match the session")
    counter = [0]
    cleaned = _redact_tree(result, guard, counter, retain, "result")
    assert isinstance(cleaned, dict)
    return cleaned, counter[0]


def _redact_tree(value: Any, guard: SecurityGuard, counter: list[int], retain: Retain | None, path: str) -> Any:
    if isinstance(value, str):
        decision = guard_evidence(guard, value, retain, "handoff_result", path)
        counter[0] += decision.redaction_count
        return decision.text if decision.text is not None else f"[withheld: {decision.outcome}]"
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            safe_key = str(_redact_tree(str(key), guard, counter, retain, f"{path}.<key>"))
            out[safe_key] = _redact_tree(item, guard, counter, retain, f"{path}.{safe_key}"[:128])
        return out
    if isinstance(value, list):
        return [_redact_tree(v, guard, counter, retain, f"{path}[{i}]"[:128]) for i, v in enumerate(value)]
    return value
