"""Finishing sessions nobody reported: pending handoffs from host hooks, and the handoff watcher.

A host's stop hook leaves the child's final message in a pending file
(:mod:`orchestra.runtime.hook`); the watcher notices a handoff file at the path the child
prompt names. Both are settled here, through the full guard and return-contract check, by
:meth:`DelegationService.update`, so a settled session frees its slot and promotes a queued
request exactly as a reported one does. A child that stopped without a valid handoff is
``failed`` with the reason, never silently ``completed``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestra.delegation import repository as repo
from orchestra.delegation import result as results
from orchestra.delegation.lifecycle import RESERVING, TERMINAL
from orchestra.errors import OrchestraError
from orchestra.runtime.hook import MESSAGE_LIMIT, PENDING_DIR, WORKFLOW_DIR
from orchestra.security.model import Sink

if TYPE_CHECKING:
    from orchestra.delegation.service import DelegationService

MAX_PENDING_BYTES = MESSAGE_LIMIT * 2 + 65_536
HANDOFF_QUIET_S = 2.0
"""The watcher leaves a handoff file alone until it has not changed for this long (still being written)."""
FAILED_STATUSES = ("error", "aborted", "failed", "cancelled", "canceled")


def pending_dir(root: Path) -> Path:
    """The folder the stop hooks write into."""
    return root / WORKFLOW_DIR / PENDING_DIR


def pending_files(root: Path) -> list[Path]:
    """Pending handoffs, oldest first (an empty list when the folder does not exist)."""
    try:
        entries = [e for e in os.scandir(pending_dir(root)) if e.name.endswith(".json") and e.is_file()]
    except FileNotFoundError:
        return []
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    return [Path(e.path) for e in entries]


def settle_pending(service: DelegationService, path: Path) -> str | None:
    """Complete or fail the session of one pending handoff, then remove the file. Returns the session id."""
    try:
        raw = path.read_bytes()[:MAX_PENDING_BYTES]
        record = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        _remove(path)
        return None
    sid = record.get("sessionId") if isinstance(record, dict) else None
    if not isinstance(sid, str):
        _remove(path)
        return None
    with service.store.read() as tx:
        row = repo.get_row(tx, sid)
    if row is None or str(row["status"]) in TERMINAL:
        _remove(path)
        return None
    agent = record.get("agentId") if isinstance(record.get("agentId"), str) else None
    update = _decide(service, row, record, agent)
    with contextlib.suppress(OrchestraError):  # another process settled it, or the session moved on
        service.update(update, actor="hook")
    _remove(path)
    return sid


def watch_handoffs(service: DelegationService) -> list[str]:
    """Complete live sessions whose handoff file exists and passes the contract (invalid files wait)."""
    with service.store.read() as tx:
        marks = ", ".join("?" for _ in RESERVING)
        rows = tx.fetchall(f"SELECT session_id, artifacts FROM delegation_sessions WHERE status IN ({marks})",
                           tuple(sorted(RESERVING)))
    settled: list[str] = []
    for row in rows:
        expected = json.loads(row["artifacts"]).get("expected_result")
        if not isinstance(expected, str):
            continue
        try:
            info = (service.root / expected).stat()
        except OSError:
            continue
        stamp = (info.st_mtime, info.st_size)
        sid = str(row["session_id"])
        if time.time() - info.st_mtime < HANDOFF_QUIET_S:
            continue
        if service.watched.get(sid) == stamp:
            continue  # already found wanting; look again when the file changes
        try:
            service.update({"session_id": sid, "status": "completed", "artifact": expected}, actor="watcher")
        except OrchestraError:
            service.watched[sid] = stamp
            continue
        service.watched.pop(sid, None)
        settled.append(sid)
    return settled


def _decide(service: DelegationService, row: Any, record: dict[str, Any], agent: str | None) -> dict[str, Any]:
    """The update a stop amounts to: completed (handoff file or final message) or failed with why."""
    sid = str(row["session_id"])
    expected = {"task_id": row["task_id"], "phase": row["phase"], "role": row["role"],
                "runtime": row["runtime"], "session_id": sid}
    artifacts = json.loads(row["artifacts"])
    handoff = str(artifacts.get("expected_result") or "")
    base: dict[str, Any] = {"session_id": sid, "agent_id": agent}
    host_status = record.get("hostStatus")
    if isinstance(host_status, str) and host_status.lower() in FAILED_STATUSES:
        return {**base, "status": "failed", "summary": f"the host reported the child stopped with status "
                                                         f"'{host_status[:40]}'"}
    problems: list[str] = []
    if handoff and (service.root / handoff).is_file():
        try:
            results.check_artifact(service.root, handoff, expected, service.guard)
        except OrchestraError as exc:
            problems.append(f"handoff file {handoff}: {exc.message}")
        else:
            return {**base, "status": "completed", "artifact": handoff}
    else:
        problems.append(f"no handoff file at {handoff}")
    message = record.get("finalMessage")
    if isinstance(message, str) and message.strip():
        problem = results.contract_problem(message, expected)
        if problem is None:
            decision = service.guard.guard(message.strip(), Sink.EVIDENCE, results.PLAIN)
            if decision.text is not None:
                limit = service.policy.handoff_max_chars
                text = decision.text if len(decision.text) <= limit else decision.text[:limit] + "\n[truncated]"
                return {**base, "status": "completed",
                        "result": {"summary": text, "source": "final-message", "session_id": sid}}
            problems.append(f"the final message was refused by the security guard ({decision.outcome})")
        else:
            problems.append(f"final message: {problem}")
    else:
        problems.append("the child left no final message")
    return {**base, "status": "failed",
            "summary": "the child stopped without a valid handoff: " + "; ".join(problems)}


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
