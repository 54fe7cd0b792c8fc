"""Context bundles over code nobody here wrote: the standard library and the installed mcp/pydantic.

Measures time and peak traced memory for (a) a 40-file manifest of stdlib modules, (b) a
2,000-file bundle of stdlib modules, (c) every module of the installed ``mcp`` and ``pydantic``
packages, each with default budgets and with a generous budget, and the reduction ratio
(final / original bytes). Every file passes the real security guard. Run:
``python bench/bench_context.py``.
"""

from __future__ import annotations

import secrets
import sys
import sysconfig
import time
import tracemalloc
from pathlib import Path
from typing import Any

import mcp
import pydantic

from orchestra.context.config import BundleConfig
from orchestra.context.guarding import prompt_guard
from orchestra.context.model import ContextSource
from orchestra.context.preprocessor import Preprocessor
from orchestra.context.strategies.markdown_sections import build_terms
from orchestra.security.guard import SecurityGuard

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit

GENEROUS = BundleConfig(max_lines_per_file=200, total_line_budget=20_000)
DEFAULT = BundleConfig()


def python_files(root: Path, limit: int, under: str = "") -> list[str]:
    """Root-relative paths of .py files below ``root / under`` (sorted, skipping site-packages), at most ``limit``."""
    found = sorted(p.relative_to(root).as_posix() for p in (root / under).rglob("*.py")
                   if "site-packages" not in p.relative_to(root).parts)
    return found[:limit]


def run(root: Path, paths: list[str], config: BundleConfig, guard: Any) -> dict[str, Any]:
    pre = Preprocessor(root, guard)
    sources = [ContextSource(path=p, reason="benchmark") for p in paths]
    terms = build_terms([("T-1", 5), ("developer", 2)])
    started = time.perf_counter()
    bundle = pre.build(sources, config, terms=terms)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second, traced run for peak memory (tracing slows it, so it is not timed)
    pre.build(sources, config, terms=terms)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    read_bytes = sum(f.original_bytes for f in bundle.files)
    return {
        "sources": len(paths), "processed": len(bundle.files), "omitted": len(bundle.omitted_sources),
        "seconds": round(elapsed, 3), "peak_mib": round(peak / 2**20, 1),
        "original_bytes": read_bytes, "final_bytes": bundle.final_bytes,
        "reduction_ratio": round(bundle.final_bytes / read_bytes, 4) if read_bytes else None,
        "final_lines": bundle.final_lines, "redactions": bundle.redaction_total,
    }


def main() -> None:
    guard = prompt_guard(SecurityGuard(secrets.token_bytes(32)))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(mcp.__file__).resolve().parents[1]
    packages = [p for pkg in (mcp, pydantic) for p in python_files(site, 100_000, Path(pkg.__file__).parent.name)]
    cases = {
        "stdlib_40_default": (stdlib, python_files(stdlib, 40), DEFAULT),
        "stdlib_40_generous": (stdlib, python_files(stdlib, 40), GENEROUS),
        "stdlib_upto2000_default": (stdlib, python_files(stdlib, 2000), DEFAULT),
        "stdlib_upto2000_generous": (stdlib, python_files(stdlib, 2000), GENEROUS),
        "mcp_pydantic_generous": (site, packages, GENEROUS),
    }
    figures: dict[str, Any] = {}
    for name, (root, paths, config) in cases.items():
        figures[name] = result = run(root, paths, config, guard)
        ratio = result["reduction_ratio"]
        print(f"{name:<24} {result['sources']:>5} sources  {result['processed']:>5} processed  "
              f"{result['omitted']:>5} omitted  {result['seconds']:>7.3f} s  peak {result['peak_mib']:>6.1f} MiB  "
              f"bytes {result['original_bytes']:>10} -> {result['final_bytes']:>8} (ratio {ratio})")
    emit("context_bundle", figures)


if __name__ == "__main__":
    main()
