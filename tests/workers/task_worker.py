"""Worker process: task and session commands from stdin, one JSON object a line, on any workspace.

Usage: python task_worker.py. Each line is ``{"root": ..., "op": ..., ...}``; the answer is one JSON
line ``{"ok": true, ...}`` or ``{"ok": false, "code": ..., "message": ...}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orchestra.app import Orchestra
from orchestra.errors import OrchestraError

APPS: dict[str, Orchestra] = {}


def handle(app: Orchestra, command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "add":
        task = app.tasks.add({"title": command["title"], "depends_on": command["depends_on"],
                              "priority": command["priority"]}, actor="worker")
        return {"id": task.id}
    if op == "update":
        task = app.tasks.update(command["id"], {"status": command["status"]}, actor="worker")
        return {"status": task.status}
    if op == "next":
        task, _ = app.tasks.next()
        return {"id": task.id if task else None}
    if op == "statuses":
        return {"statuses": {t.id: t.status for t in app.tasks.list(limit=500)}}
    if op == "spawn":
        result = app.delegation.spawn({"task_id": command["id"], "runtime": "claude-cli"})
        return {"session_id": result.session_id, "status": result.status}
    if op == "finish":
        update: dict[str, Any] = {"session_id": command["session_id"], "status": command["status"]}
        if command["status"] == "completed":
            update["result"] = {"summary": "done"}
        else:
            update["summary"] = "it broke"
        app.delegation.update(update, actor="worker")
        return {}
    raise ValueError(op)


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        root = command["root"]
        if root not in APPS:
            APPS[root] = Orchestra.open(Path(root))
        try:
            answer = {"ok": True, **handle(APPS[root], command)}
        except OrchestraError as exc:
            answer = {"ok": False, "code": exc.code, "message": exc.message}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
