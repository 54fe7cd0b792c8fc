"""Sub-agent lifecycle hook latency: ``orchestra hook <event>`` as a whole process.

In a temporary initialized workspace with one requested session, times (interleaved,
so machine noise hits all alike) ``python -c pass`` (the interpreter floor), a start
hook that records ``spawned`` (a write transaction with an audit event; the session is
put back to ``requested`` by a fresh spawn each round), a stop hook that writes a
pending handoff, and a hook call for an unrelated tool (the common case: ignored).
Bytecode is compiled first, as an install does. Prints median and p95; the last line is
one JSON object.
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orchestra

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

RUNS = 30
WARMUP = 3
BIN = Path(sys.executable).parent


def _run(cmd: list[str], payload: dict[str, object] | None, cwd: Path, env: dict[str, str]) -> float:
    data = json.dumps(payload).encode() if payload is not None else None
    start = time.perf_counter()
    subprocess.run(cmd, input=data, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start


def main() -> int:
    compileall.compile_dir(str(Path(orchestra.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items()
           if k not in {"ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR", "OPEN_ORCHESTRA_ACTIVE_RUNTIME"}}
    from orchestra.app import Orchestra

    samples: dict[str, list[float]] = {"python -c pass": [], "hook start (spawned)": [],
                                       "hook stop (pending handoff)": [], "hook ignored tool": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        config = {"runtimePolicy": {"delegation": {"guardrails": {"maxConcurrentDelegates": 256,
                                                                  "maxSpawnsPerTask": 10_000}}}}
        (root / ".agent-workflow").mkdir()
        (root / ".agent-workflow" / "config.json").write_text(json.dumps(config))
        hook = [str(BIN / "orchestra"), "hook"]
        with Orchestra.open(root) as app:
            app.tasks.add({"id": "B1", "title": "bench", "owner_role": "developer"})
            for index in range(WARMUP + RUNS):
                sid = app.delegation.spawn({"task_id": "B1", "runtime": "claude-cli"}).session_id
                start = {"cwd": str(root), "hook_event_name": "PreToolUse", "tool_name": "Agent",
                         "tool_use_id": f"toolu_{index}", "tool_input": {"prompt": f"- Session id: {sid}\n"}}
                stop = {"cwd": str(root), "hook_event_name": "SubagentStop", "agent_id": f"a{index}",
                        "last_assistant_message": f"- Session id: {sid}\nDone."}
                other = {"cwd": str(root), "hook_event_name": "PreToolUse", "tool_name": "Bash",
                         "tool_input": {"command": "ls"}}
                rounds = {"python -c pass": ([sys.executable, "-c", "pass"], None),
                          "hook start (spawned)": ([*hook, "PreToolUse", "--runtime", "claude-cli"], start),
                          "hook stop (pending handoff)": ([*hook, "SubagentStop", "--runtime", "claude-cli"], stop),
                          "hook ignored tool": ([*hook, "PreToolUse", "--runtime", "claude-cli"], other)}
                for name, (cmd, payload) in rounds.items():
                    took = _run(cmd, payload, root, env)
                    if index >= WARMUP:
                        samples[name].append(took)
                app.delegation.sweep()
    figures = {name: summary_ms(values) for name, values in samples.items()}
    floor = figures["python -c pass"]["p50_ms"]
    for name, fig in figures.items():
        extra = "" if name == "python -c pass" else f"  (+{fig['p50_ms'] - floor:.1f} ms over the floor)"
        print(f"{name:<30} median {fig['p50_ms']:7.1f} ms   p95 {fig['p95_ms']:7.1f} ms{extra}")
    emit("hook", {"figures": figures, "runs": RUNS})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
