"""Guard time against text size for one long text: the scan must stay linear up to the 16 MB limit.

Texts of 1, 2, 4 and 8 MB (ordinary log and code lines, 1 % planted secrets) are guarded once each, on the
exact path (Hyperscan off: what runs on a platform without its wheel and while its database compiles) and on
the Hyperscan path (prepared first). Prints seconds and MB/s per size and the time ratio of the largest to the
smallest size per MB (1.0 is linear), then a JSON line. A quadratic step (``islice`` over the candidate list
per span) made the exact path 6.9 s at 4 MB and 67 s at 16 MB before it was found this way.

Run: ``python bench/bench_guard_scaling.py [MAX_MB]``.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit
from orchestra.security import SecurityGuard, Sink
from orchestra.security.detectors import Detector

ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

ORDINARY = ["We moved the retry logic into the worker so the scheduler stays simple.\n",
            "2024-05-01T10:31:22Z INFO worker[4312] GET /api/v1/items?id=88231 200 12.5ms\n",
            "    for key, value in DEFAULTS.items():\n        data.setdefault(key, value)\n"]


def text_of(chars: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < chars:
        if rng.random() < 0.01:
            piece = "api_key=" + "".join(rng.choice(ALPHANUMERIC) for _ in range(32)) + "\n"
        else:
            piece = rng.choice(ORDINARY)
        parts.append(piece)
        size += len(piece)
    return "".join(parts)


def exact_guard() -> SecurityGuard:
    """A guard whose detectors never use Hyperscan."""
    guard = SecurityGuard(b"bench-scaling-key-0123456789")
    for name in ("_data", "_risk"):
        detector: Detector = getattr(guard, name)
        detector.hyperscan = None
    return guard


def main() -> None:
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    sizes = [m for m in (1, 2, 4, 8, 16) if m <= top]
    prepared = SecurityGuard(b"bench-scaling-key-0123456789")
    have_hs = prepared.prepare()
    engines = {"exact": exact_guard(), **({"hyperscan": prepared} if have_hs else {})}
    figures: dict[str, dict[str, float]] = {}
    for label, guard in engines.items():
        row: dict[str, float] = {}
        for mb in sizes:
            text = text_of(mb * 1_000_000)
            started = time.perf_counter()
            decision = guard.guard(text, Sink.TRANSCRIPT)
            seconds = time.perf_counter() - started
            assert decision.text is not None
            row[f"{mb}MB_s"] = round(seconds, 2)
            print(f"{label:9} {mb:3} MB  {seconds:7.2f} s  {mb / seconds:6.2f} MB/s")
        per_mb = [row[f"{mb}MB_s"] / mb for mb in sizes]
        row["largest_over_smallest_per_mb"] = round(per_mb[-1] / per_mb[0], 2) if per_mb[0] else 0.0
        print(f"{label:9} per-MB time, {sizes[-1]} MB over {sizes[0]} MB: {row['largest_over_smallest_per_mb']}x "
              "(1.0 is linear)")
        figures[label] = row
    emit("guard_scaling", figures)


if __name__ == "__main__":
    main()
