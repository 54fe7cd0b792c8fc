"""Context bundles: tree-sitter schemas, cold and warm cache, beside the head/tail baseline.

Cases: (a) 40 stdlib Python files (default and generous budgets, the figures the issue
quotes for the old ``ast`` path); (b) a generated 40-file tree per language; (c) a mixed
real tree: the installed site-packages of the project's dependencies (mcp, pydantic,
anyio, cryptography) and, when present, node's bundled npm (JS). Each case runs cold
(empty cache), warm (a new preprocessor over the same on-disk cache: what a new process
sees) and warm_memo (a second build by the same preprocessor: what a long-running server's
next spawn sees, served by the in-process memo), wall and CPU time (CPU time is the steadier
figure on a shared machine). The 40-file stdlib cases also run the old implementation (main
before the tree-sitter context merge, commit ``OLD_COMMIT``, taken with ``git archive`` into a
temp folder and run in a subprocess) in the same run, so old and new are measured side by side.
"decl_per_1000" is declarations shown per 1,000 lines of bundle; the baseline is what
head/tail truncation of the same files shows (declaration-looking lines kept). Every file
passes the real security guard. Run: ``python bench/bench_context.py``.
"""

from __future__ import annotations

import gc
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import cryptography
import mcp
import pydantic

from orchestra.context.cache import ExtractionCache
from orchestra.context.config import BundleConfig
from orchestra.context.guarding import prompt_guard
from orchestra.context.model import ContextBundle, ContextSource
from orchestra.context.preprocessor import Preprocessor
from orchestra.context.strategies.head_tail import head_tail
from orchestra.context.strategies.markdown_sections import build_terms
from orchestra.security.guard import SecurityGuard

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit

OLD_COMMIT = "49cfde7"
GENEROUS = BundleConfig(max_lines_per_file=200, total_line_budget=20_000)
DEFAULT = BundleConfig()
DECLARATION = re.compile(r"^\s*(?:(?:export\s+|pub\s+|public\s+|private\s+|static\s+|async\s+|@\S+\s+)*"
                         r"(?:def|class|func|fun|fn|function|interface|struct|trait|impl|type|enum|const|module|object|"
                         r"protocol|record|namespace)\b"
                         r"|(?:[\w<>\[\],*&:]+\s+)+\**\w+\s*\([^;]*\)\s*\{?\s*$"  # or a C-like function header
                         r"|\w+\(\)\s*\{\s*$)")  # or a shell function
TEMPLATES: dict[str, str] = {
    "py": 'class Service{i}:\n    """Service {i}."""\n\n    def handle_{i}(self, request: dict) -> dict:\n'
          '        """Handle {i}."""\n        result = dict(request)\n        result["n"] = {i}\n'
          '        return result\n\n\ndef helper_{i}(value: int) -> int:\n    """Helper {i}."""\n'
          '    total = value * {i}\n    return total + 1\n\n\n',
    "ts": "/** Item {i}. */\nexport interface Item{i} {{\n  id: string;\n  count: number;\n}}\n\n"
          "/** Makes item {i}. */\nexport function make{i}(id: string): Item{i} {{\n  const n = {i};\n"
          "  return {{ id, count: n }};\n}}\n\nexport class Store{i} {{\n  private items: Item{i}[] = [];\n"
          "  add(item: Item{i}): void {{\n    this.items.push(item);\n  }}\n}}\n\n",
    "go": "// Item{i} is one item.\ntype Item{i} struct {{\n\tID    string\n\tCount int\n}}\n\n"
          "// Make{i} builds an item.\nfunc Make{i}(id string) *Item{i} {{\n\tn := {i}\n"
          "\treturn &Item{i}{{ID: id, Count: n}}\n}}\n\n// Add{i} adds.\nfunc (s *Item{i}) Add{i}(n int) int {{\n"
          "\ts.Count += n\n\treturn s.Count\n}}\n\n",
    "rs": "/// Item {i}.\npub struct Item{i} {{\n    pub id: String,\n    pub count: u32,\n}}\n\n"
          "impl Item{i} {{\n    /// Makes item {i}.\n    pub fn new(id: String) -> Self {{\n        let n = {i};\n"
          "        Item{i} {{ id, count: n }}\n    }}\n}}\n\n",
    "java": "    /** Handles {i}. */\n    public int handle{i}(int value) {{\n        int total = value * {i};\n"
            "        return total + 1;\n    }}\n\n",
    "rb": "  # Handles {i}.\n  def handle_{i}(value)\n    total = value * {i}\n    total + 1\n  end\n\n",
    "c": "/* Handles {i}. */\nint handle_{i}(int value) {{\n    int total = value * {i};\n"
         "    return total + 1;\n}}\n\n",
    "js": "/** Handles {i}. */\nexport function handle{i}(value) {{\n  const total = value * {i};\n"
          "  return total + 1;\n}}\n\n",
    "kt": "/** Handles {i}. */\nfun handle{i}(value: Int): Int {{\n    val total = value * {i}\n"
          "    return total + 1\n}}\n\n",
    "swift": "/// Handles {i}.\nfunc handle{i}(value: Int) -> Int {{\n    let total = value * {i}\n"
             "    return total + 1\n}}\n\n",
    "cs": "    /// <summary>Handles {i}.</summary>\n    public int Handle{i}(int value)\n    {{\n"
          "        var total = value * {i};\n        return total + 1;\n    }}\n\n",
    "cpp": "/// Handles {i}.\nint handle_{i}(const std::vector<int>& values) {{\n    int total = {i};\n"
           "    for (int v : values) total += v;\n    return total;\n}}\n\n",
    "php": "    /** Handles {i}. */\n    public function handle{i}(int $value): int\n    {{\n"
           "        $total = $value * {i};\n        return $total + 1;\n    }}\n\n",
    "scala": "  /** Handles {i}. */\n  def handle{i}(value: Int): Int = {{\n    val total = value * {i}\n"
             "    total + 1\n  }}\n\n",
    "lua": "-- Handles {i}.\nfunction M.handle_{i}(value)\n  local total = value * {i}\n  return total + 1\nend\n\n",
    "sh": "# Handles {i}.\nhandle_{i}() {{\n  local total=$(( $1 * {i} ))\n  echo $(( total + 1 ))\n}}\n\n",
}
WRAP = {"java": ("package bench;\n\npublic class Bench{f} {{\n", "}}\n"), "rb": ("class Bench{f}\n", "end\n"),
        "cs": ("namespace Bench;\n\npublic class Bench{f}\n{{\n", "}}\n"),
        "php": ("<?php\n\nclass Bench{f}\n{{\n", "}}\n"), "scala": ("object Bench{f} {{\n", "}}\n"),
        "lua": ("local M = {{}}\n\n", "return M\n"), "cpp": ("#include <vector>\n\n", "")}


def generate(root: Path, ext: str, files: int = 40, blocks: int = 50) -> list[str]:
    """``files`` realistic files of one language under ``root``; returns their relative paths."""
    paths = []
    folder = root / ext
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        head, tail = WRAP.get(ext, ("", ""))
        body = "".join(TEMPLATES[ext].format(i=f * 100 + b) for b in range(blocks))
        suffix = "java" if ext == "java" else ext
        name = f"Bench{f}.java" if ext == "java" else f"mod_{f:02}.{suffix}"
        (folder / name).write_text(head.format(f=f) + body + tail.format(f=f))
        paths.append(f"{ext}/{name}")
    return paths


def files_under(root: Path, under: str, suffixes: tuple[str, ...], limit: int) -> list[str]:
    """Sorted root-relative paths with ``suffixes`` below ``root / under``."""
    base = root / under
    if not base.is_dir():
        return []
    found = sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.suffix in suffixes and p.is_file())
    return found[:limit]


def declarations_kept(bundle: ContextBundle) -> int:
    """Declarations shown: schema lines, plus declaration-looking lines elsewhere."""
    count = 0
    for file in bundle.files:
        lines = file.content.splitlines()
        if file.strategy == "schema-extraction":
            count += sum(1 for x in lines if re.match(r"^\d+: ", x))
        else:
            count += sum(1 for x in lines if DECLARATION.match(x))
    return count


def baseline_declarations(root: Path, paths: list[str], config: BundleConfig) -> tuple[int, int]:
    """What head/tail truncation of every file would show: (declaration lines, lines)."""
    kept = used = 0
    remaining = config.total_line_budget
    for rel in paths:
        if remaining <= 0:
            break
        lines = (root / rel).read_text(errors="replace").splitlines()
        budget = min(config.max_lines_per_file, remaining)
        shown = lines if len(lines) <= budget else head_tail(lines, budget)
        kept += sum(1 for x in shown if DECLARATION.match(x))
        used += len(shown)
        remaining -= len(shown)
    return kept, used


def run(root: Path, paths: list[str], config: BundleConfig, guard: Any, cache_dir: Path) -> dict[str, Any]:
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True)
    sources = [ContextSource(path=p, reason="benchmark") for p in paths]
    terms = build_terms([("T-1", 5), ("developer", 2)])
    figures: dict[str, Any] = {"sources": len(paths)}
    bundle: ContextBundle | None = None
    pre: Preprocessor | None = None
    for phase in ("cold", "warm", "warm_memo"):
        if phase != "warm_memo":
            cache = ExtractionCache(cache_dir, b"bench-secret" * 3)
            pre = Preprocessor(root, guard, cache)
        assert pre is not None
        before = pre.stats.parsed
        gc.collect()  # a collection of earlier garbage is not this build's cost (the old run does the same)
        started, cpu = time.perf_counter(), time.process_time()
        bundle = pre.build(sources, config, terms=terms)
        figures[f"{phase}_ms"] = round((time.perf_counter() - started) * 1000, 1)
        figures[f"{phase}_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
        figures[f"{phase}_parsed"] = pre.stats.parsed - before
        if phase != "warm":
            pre.close()
    assert bundle is not None
    kept = declarations_kept(bundle)
    base_kept, base_lines = baseline_declarations(root, paths, config)
    fallbacks = sum(1 for f in bundle.files if f.fallback_reason)
    figures.update({
        "processed": len(bundle.files), "omitted": len(bundle.omitted_sources), "final_lines": bundle.final_lines,
        "schema_files": sum(1 for f in bundle.files if f.strategy == "schema-extraction"),
        "fallbacks": fallbacks,
        "decl_per_1000": round(kept * 1000 / bundle.final_lines, 1) if bundle.final_lines else 0.0,
        "baseline_decl_per_1000": round(base_kept * 1000 / base_lines, 1) if base_lines else 0.0,
    })
    return figures


OLD_RUN = r"""
import gc, json, secrets, sys, time
from pathlib import Path
from orchestra.context.config import BundleConfig
from orchestra.context.guarding import prompt_guard
from orchestra.context.model import ContextSource
from orchestra.context.preprocessor import Preprocessor
from orchestra.context.strategies.markdown_sections import build_terms
from orchestra.security.guard import SecurityGuard
root, paths, per_file, total = Path(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
guard = prompt_guard(SecurityGuard(secrets.token_bytes(32)))
sources = [ContextSource(path=p, reason="benchmark") for p in paths]
terms = build_terms([("T-1", 5), ("developer", 2)])
config = BundleConfig(max_lines_per_file=per_file, total_line_budget=total)
Preprocessor(root, guard)  # imports done before timing, as in the new run
gc.collect()
started, cpu = time.perf_counter(), time.process_time()
bundle = Preprocessor(root, guard).build(sources, config, terms=terms)
print(json.dumps({"ms": round((time.perf_counter() - started) * 1000, 1),
                  "cpu_ms": round((time.process_time() - cpu) * 1000, 1), "processed": len(bundle.files)}))
"""


def old_implementation(work: Path) -> Path | None:
    """The source tree of ``OLD_COMMIT`` in ``work`` (``git archive``; nothing in the repository changes)."""
    repo = Path(__file__).resolve().parents[1]
    target = work / "old"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(repo), "archive", OLD_COMMIT, "src"], capture_output=True, check=False)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


def run_old(src: Path, root: Path, paths: list[str], config: BundleConfig) -> dict[str, Any]:
    """One cold build by the old implementation, in a subprocess with its own source tree first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", OLD_RUN, str(root), json.dumps(paths),
                           str(config.max_lines_per_file), str(config.total_line_budget)],
                          env=env, capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    security = SecurityGuard(secrets.token_bytes(32))
    security.prepare()  # the long-text engine's one-time compile (1.2 s) is not a bundle's cost
    guard = prompt_guard(security)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    std40 = sorted(p.relative_to(stdlib).as_posix() for p in stdlib.rglob("*.py")
                   if "site-packages" not in p.relative_to(stdlib).parts)[:40]
    site = Path(mcp.__file__).resolve().parents[1]
    mixed = [p for pkg in (mcp, pydantic, anyio, cryptography)
             for p in files_under(site, Path(pkg.__file__).parent.name, (".py", ".pyi"), 400)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = work / "gen"
        cases: dict[str, tuple[Path, list[str], BundleConfig]] = {
            "stdlib_40_default": (stdlib, std40, DEFAULT),
            "stdlib_40_generous": (stdlib, std40, GENEROUS),
        }
        for ext in TEMPLATES:
            cases[f"gen40_{ext}_generous"] = (generated, generate(generated, ext), GENEROUS)
        cases["site_packages_generous"] = (site, mixed, GENEROUS)
        npm = Path("/usr/lib/node_modules/npm")
        npm_files = files_under(npm.parent, "npm", (".js", ".ts", ".mjs", ".cjs"), 400)
        if npm_files:
            cases["npm_js_generous"] = (npm.parent, npm_files, GENEROUS)
        else:
            print("npm_js: skipped (no /usr/lib/node_modules/npm here)")
        figures: dict[str, Any] = {}
        old_src = old_implementation(work)
        if old_src is None:
            print(f"old implementation: skipped (commit {OLD_COMMIT} not in this repository)")
        rounds = 3
        for name in ("stdlib_40_default", "stdlib_40_generous"):
            root, paths, config = cases[name]
            old_runs, new_runs = [], []
            for i in range(rounds):  # alternated, so both see the same machine load
                if old_src is not None:
                    old_runs.append(run_old(old_src, root, paths, config))
                new_runs.append(run(root, paths, config, guard, work / "state" / f"{name}-{i}"))
            new_cold = sorted(r["cold_cpu_ms"] for r in new_runs)
            line = f"{name:<26} new cold cpu ms {new_cold}"
            if old_runs:
                old_cold = sorted(r["cpu_ms"] for r in old_runs)
                figures[f"{name}_old_cold_cpu_ms"] = old_cold
                line += f"  old ({OLD_COMMIT}) cold cpu ms {old_cold}  ({old_runs[0]['processed']} files in)"
            figures[f"{name}_new_cold_cpu_ms"] = new_cold
            print(line)
        for name, (root, paths, config) in cases.items():
            figures[name] = r = run(root, paths, config, guard, work / "state" / name)
            print(f"{name:<26} {r['sources']:>4} src {r['processed']:>4} in {r['omitted']:>4} out  "
                  f"cold {r['cold_ms']:>8.1f} ms (cpu {r['cold_cpu_ms']:>7.1f}, {r['cold_parsed']:>3} parsed)  "
                  f"warm {r['warm_ms']:>7.1f} ms (cpu {r['warm_cpu_ms']:>6.1f}) "
                  f"({r['warm_parsed']} parsed) memo {r['warm_memo_ms']:>6.1f} ms (cpu {r['warm_memo_cpu_ms']:>5.1f})  "
                  f"schema {r['schema_files']:>3} fallback {r['fallbacks']:>3}  "
                  f"decl/1000 {r['decl_per_1000']:>6.1f} vs head/tail {r['baseline_decl_per_1000']:>6.1f}")
    emit("context_bundle", figures)


if __name__ == "__main__":
    main()
