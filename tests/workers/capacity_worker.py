"""Worker process: capacity requests and releases on a shared workspace.

Usage: python capacity_worker.py ROOT WORKER_ID COUNT SEED
Prints "decision <decision id> <status> <reason code>" per request.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from orchestra.app import Orchestra
from orchestra.capacity import Lease


def main() -> None:
    root, worker, count, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    held: list[Lease] = []
    with Orchestra.open(root) as app:
        for i in range(count):
            decision = app.capacity.request({
                "request_id": f"w{worker}-{i:04d}", "tenant_id": rng.choice(["t1", "t2"]),
                "workspace_id": rng.choice(["a", "b"]), "provider": rng.choice([None, "p1", "p2"]),
                "runtime": rng.choice([None, "r1"]), "lease_ttl_ms": 1000, "max_queue_ms": 3000})
            print(f"decision {decision.decision_id} {decision.status} {decision.reason_code}", flush=True)
            if decision.lease:
                held.append(decision.lease)
            if held and rng.random() < 0.5:
                lease = held.pop(rng.randrange(len(held)))
                app.capacity.release(lease.lease_id, lease.fence)
        for lease in held:
            app.capacity.release(lease.lease_id, lease.fence)


if __name__ == "__main__":
    main()
