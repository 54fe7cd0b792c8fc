"""Shared helpers for the benchmarks: percentiles and the final JSON line."""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """Median, p95, p99 and mean of second-valued samples, in milliseconds."""
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "n": len(values),
    }


def emit(name: str, figures: dict[str, Any]) -> None:
    """Print the one JSON line a benchmark ends with."""
    sys.stdout.write(json.dumps({"bench": name, **figures}, sort_keys=True) + "\n")
