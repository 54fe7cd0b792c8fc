"""Worker process: issue spawn requests on a workspace while completing sessions at random.

Usage: python delegation_worker.py ROOT WORKER_ID COUNT SEED
Prints "spawn <session id> <status>" per request and "complete <session id>" per completion.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from orchestra.app import Orchestra
from orchestra.delegation.errors import InvalidTransitionError


def main() -> None:
    root, worker, count, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    with Orchestra.open(root) as app:
        for i in range(count):
            task = f"T-{rng.randint(1, 6)}"
            result = app.delegation.spawn({"task_id": task, "runtime": "claude-cli",
                                           "idempotency_key": f"w{worker}-req-{i:04d}"})
            print(f"spawn {result.session_id} {result.status}", flush=True)
            if rng.random() < 0.6:
                live = app.delegation.list_sessions(status="requested", limit=50).sessions
                if live:
                    target = rng.choice(live).session_id
                    try:
                        app.delegation.update({"session_id": target, "status": "completed",
                                               "result": {"summary": f"done by worker {worker}"}})
                        print(f"complete {target}", flush=True)
                    except InvalidTransitionError:
                        pass  # another worker finished it first


if __name__ == "__main__":
    main()
