"""What an approval costs an operation: a compliance chat delete with no gate beside the same delete
through a granted approval (gate lookup + consume in the delete's transaction), and the refusal path
(record or reuse a pending request), all in one run on one SQLite file.

Run: ``python bench/bench_approvals.py [runs]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms
from orchestra.app import Orchestra
from orchestra.approvals import ApprovalCaller, ApprovalRequiredError, CallerApprovals

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "mcp", "session_id": "s1"}
CALLER = ApprovalCaller(principal="local:bench", session="mcp-bench-1")


def _threads(app: Orchestra, n: int) -> list[str]:
    ids = []
    for i in range(n):
        thread = app.chat.create_thread(SCOPE, f"thread {i}", ACTOR)
        app.chat.append_message(SCOPE, thread.id, f"line {i}", ACTOR, f"k-{i}")
        ids.append(thread.id)
    return ids


def _delete(app: Orchestra, thread_id: str, gate: CallerApprovals | None) -> None:
    app.chat.delete("thread", thread_id=thread_id, actor_id="auditor-1", actor_role="auditor",
                    reason_code="user_request", approval=gate)


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        root.mkdir()
        (root / ".git").mkdir()
        with Orchestra.open(root) as app:
            app.tasks.add({"id": "T-1", "title": "bench"})
            plain_ids, gated_ids = _threads(app, runs), _threads(app, runs)
            gate = app.approvals.for_caller(CALLER)
            plain, gated, refused = [], [], []
            for plain_id, gated_id in zip(plain_ids, gated_ids, strict=True):
                start = time.perf_counter()
                _delete(app, plain_id, None)
                plain.append(time.perf_counter() - start)
                start = time.perf_counter()
                try:
                    _delete(app, gated_id, gate)
                except ApprovalRequiredError as exc:
                    refused.append(time.perf_counter() - start)
                    app.approvals.grant(exc.approval_id, approver="local:bench")
                start = time.perf_counter()
                _delete(app, gated_id, gate)
                gated.append(time.perf_counter() - start)
    figures = {"delete_without_gate": summary_ms(plain), "delete_with_granted_approval": summary_ms(gated),
               "refused_and_request_recorded": summary_ms(refused)}
    for name, values in figures.items():
        print(f"{name:<32} p50 {values['p50_ms']:7.2f} ms  p95 {values['p95_ms']:7.2f} ms  (n={values['n']})")
    emit("approvals", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
