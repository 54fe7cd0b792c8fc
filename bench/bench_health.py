"""Hook latency: ``orchestra health --runtime claude-cli --json`` as a whole process.

Runs it 30 times in a temporary workspace (initialised, with a few tasks), interleaved
with ``python -c pass`` (the interpreter's own start-up floor), and prints median and
p95 of each. Bytecode for the package is compiled first, as a normal install does, so
``PYTHONDONTWRITEBYTECODE=1`` in the caller's environment does not turn every run
into a compile. The last line of output is one JSON object.
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orchestra

RUNS = 30
WARMUP = 3
BUDGET_MS = 60.0
BIN = Path(sys.executable).parent


def _time(commands: dict[str, list[str]], cwd: Path, env: dict[str, str]) -> dict[str, list[float]]:
    """Run the commands in turn (interleaved, so machine noise hits all of them alike)."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(WARMUP + RUNS):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            if index >= WARMUP:
                samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "min_ms": round(ordered[0], 1)}


def main() -> int:
    compileall.compile_dir(str(Path(orchestra.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items()
           if k not in {"ORCHESTRA_WORKSPACE", "CLAUDE_PROJECT_DIR", "OPEN_ORCHESTRA_ACTIVE_RUNTIME"}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        orch = str(BIN / "orchestra")
        subprocess.run([orch, "init"], cwd=root, env=env, check=True, capture_output=True)
        for n in range(5):
            subprocess.run([orch, "task", "add", f"T-{n}", "--title", f"task {n}"], cwd=root, env=env,
                           check=True, capture_output=True)
        samples = _time({"pass": [sys.executable, "-c", "pass"],
                         "health": [orch, "health", "--runtime", "claude-cli", "--json"]}, root, env)
        baseline, health = _summary(samples["pass"]), _summary(samples["health"])
        record = json.loads((root / ".agent-workflow" / "active-runtime.json").read_text())
    for label, figures in (("python -c pass", baseline), ("orchestra health --runtime claude-cli --json", health)):
        print(f"{label:<46} median {figures['median_ms']:6.1f} ms   p95 {figures['p95_ms']:6.1f} ms")
    over = health["median_ms"] - baseline["median_ms"]
    print(f"budget: median <= {BUDGET_MS:.0f} ms; health costs {over:.1f} ms over the interpreter floor")
    print(f"record written: runtime={record['runtime']} writer={record['writer']}")
    result = {"bench": "health_hook", "runs": RUNS, "python_pass": baseline, "health": health,
              "budget_median_ms": BUDGET_MS, "within_budget": health["median_ms"] <= BUDGET_MS}
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
