"""Benchmark of the security guard: throughput, 4 KB latency, corpus precision/recall.

Run: ``python bench/bench_guard.py``. Prints figures, then one JSON line.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.security.helpers import FAKES, load_corpus, precision_recall  # noqa: E402

from orchestra.security import SecurityGuard, Sink  # noqa: E402

PROSE = (
    "We moved the retry logic into the worker so the scheduler stays simple. The previous version "
    "kept a queue per tenant, which made fairness hard to reason about; see the design notes. "
)
CODE = '''def load(path: str) -> dict[str, object]:
    """Read the config and apply defaults."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    for key, value in DEFAULTS.items():
        data.setdefault(key, value)
    return data

'''
SQL = "SELECT id, title FROM tasks WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;\n"
LOG = "2024-05-01T10:31:22.123Z INFO worker[4312] GET /api/v1/items?id=88231 200 12.5ms request_id=9f1c2e\n"
SHELL = "cd src && python -m pytest -q tests/ | tee out.txt; git status --short\n"
MARKDOWN = (
    "## Notes\n\n- run `make test`\n- see https://docs.python.org/3/library/re.html\n\n```bash\nls -la\n```\n"
)
PIECES = [PROSE, CODE, SQL, LOG, SHELL, MARKDOWN]


def mixed_text(size: int, rng: random.Random, secret_rate: float = 0.02) -> str:
    out: list[str] = []
    total = 0
    kinds = sorted(FAKES)
    while total < size:
        piece = rng.choice(PIECES)
        if rng.random() < secret_rate:
            piece = f"{piece}config value={FAKES[rng.choice(kinds)](rng)}\n"
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


def novel_text(size: int) -> str:
    """``size`` characters of the running Python's own standard library sources, file after file in name order:
    text the guard has never seen (every line new, as in a real transcript), unlike :func:`mixed_text`, whose six
    pieces repeat and so flatter any engine that caches what it saw (the RE2 set's lazy DFA did: 2 µs per
    repeated line, about 70 µs per new one)."""
    import sysconfig

    out: list[str] = []
    total = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            body = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out.append(body)
        total += len(body)
        if total >= size:
            break
    return "".join(out)[:size]


def throughput(guard: SecurityGuard, sink: Sink, text: str, chunk: int = 16 * 1024) -> float:
    chunks = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    start = time.perf_counter()
    for c in chunks:
        guard.guard(c, sink)
    return len(text.encode()) / (time.perf_counter() - start) / 1e6


def per_line(guard: SecurityGuard, text: str) -> tuple[float, float]:
    """One guard call per line (chat appends, log lines, tool arguments): MB/s and mean µs per call. The first
    2,000 lines are guarded once before timing, exactly as ``original_driver.mjs`` warms the original up."""
    lines = [ln for ln in text.splitlines() if ln]
    for ln in lines[:2000]:
        guard.guard(ln, Sink.TRANSCRIPT)
    start = time.perf_counter()
    for ln in lines:
        guard.guard(ln, Sink.TRANSCRIPT)
    elapsed = time.perf_counter() - start
    return sum(len(ln.encode()) for ln in lines) / elapsed / 1e6, elapsed / len(lines) * 1e6


def per_call_breakdown(guard: SecurityGuard, benign: list[str], mixed: list[str]) -> dict[str, tuple[float, float]]:
    """Mean µs per line of each stage of a guard call (each stage timed alone, on warm structures)."""
    from orchestra.security.detectors import TextIndex
    from orchestra.security.redaction import analyze

    data = guard._data
    prefilter = data.prefilter

    def mean_us(fn: Callable[[str], object], texts: list[str]) -> float:
        start = time.perf_counter()
        for t in texts:
            fn(t)
        return (time.perf_counter() - start) / len(texts) * 1e6

    def no_prefilter(_text: str) -> None:
        return None

    engine = data.hyperscan
    stages: dict[str, Callable[[str], object]] = {
        "Hyperscan pass (decides first)": engine.scan if engine is not None else no_prefilter,
        "RE2 set (before Hyperscan is ready)": prefilter.active if prefilter is not None else no_prefilter,
        "text index (lower, keyword pass)": lambda t: TextIndex(t, data.keywords).found_literals(data.keywords),
        "data scan (prefilter + rules)": data.scan,
        "analyze (scan + redaction)": lambda t: analyze(data, t),
        "whole guard call (decision)": lambda t: guard.guard(t, Sink.TRANSCRIPT),
    }
    return {name: (mean_us(fn, benign), mean_us(fn, mixed)) for name, fn in stages.items()}


def latency(guard: SecurityGuard, message: str, calls: int) -> tuple[float, float]:
    """p50 and p99 in ms of one guard call on ``message``."""
    lat: list[float] = []
    for _ in range(calls):
        start = time.perf_counter()
        guard.guard(message, Sink.TRANSCRIPT)
        lat.append((time.perf_counter() - start) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.99) - 1]


def prepare(guard: SecurityGuard) -> tuple[bool, float, float]:
    """Build the long-text engine before measuring (a server compiles it in the background on its first long
    text): whether it is ready, the seconds it took, and the database compile (or cache load) seconds."""
    t0 = time.perf_counter()
    ready = guard.prepare()
    prepare_s = time.perf_counter() - t0
    compile_s = sum(d.hyperscan.compile_seconds for d in (guard._data, guard._risk) if d.hyperscan is not None)
    print(f"hyperscan ready: {ready}; prepare {prepare_s:.2f} s (database compile or cache load {compile_s:.2f} s)")
    return ready, prepare_s, compile_s


ORIGINAL = "@jterrats/open-orchestra@1.3.1"


def original_pipeline(lines: list[str], bulk: str) -> dict[str, float] | str:
    """The original's pipeline (node, classifyRestrictedData + prompt redaction) on the same texts, or a note
    saying why it was skipped. The package is fetched once with ``npm pack`` into ``bench/.cache``."""
    import shutil
    import subprocess
    import tarfile
    import tempfile

    if shutil.which("node") is None:
        return "skipped: node not found"
    cache = ROOT / "bench" / ".cache"
    package = cache / "package"
    if not package.exists():
        if shutil.which("npm") is None:
            return "skipped: npm not found"
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(["npm", "pack", ORIGINAL], cwd=cache, check=True, capture_output=True, timeout=180)
            tgz = next(cache.glob("*.tgz"))
            with tarfile.open(tgz) as tar:
                tar.extractall(cache, filter="data")
        except (OSError, subprocess.SubprocessError, StopIteration, tarfile.TarError) as exc:
            return f"skipped: npm pack {ORIGINAL} failed ({type(exc).__name__})"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump({"lines": lines, "bulk": bulk}, fh)
    try:
        out = subprocess.run(
            ["node", str(ROOT / "bench" / "original_driver.mjs"), str(package), fh.name],
            check=True, capture_output=True, text=True, timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"skipped: node driver failed ({type(exc).__name__})"
    finally:
        Path(fh.name).unlink(missing_ok=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def novel_section() -> dict[str, object]:
    """Ours and the original's per-line and bulk figures on new text (:func:`novel_text`), printed and returned."""
    fresh = SecurityGuard(b"bench-key-0123456789abcdef")
    fresh.prepare()
    novel = novel_text(4 * 1024 * 1024)
    novel_lines = [ln for ln in novel.splitlines() if ln.strip()][:40000]
    novel_line_mb_s, novel_line_us = per_line(fresh, "\n".join(novel_lines))
    novel_bulk = round(throughput(fresh, Sink.TRANSCRIPT, novel), 2)
    print(f"new text (stdlib sources, each line once): one call per line {novel_line_mb_s:.2f} MB/s "
          f"({novel_line_us:.1f} µs per line); bulk {novel_bulk:.2f} MB/s in 16 KB messages")
    original_novel = original_pipeline(novel_lines, novel)
    if isinstance(original_novel, str):
        print(f"original pipeline on the new text: {original_novel}")
    else:
        print(
            f"original pipeline (node) on the new text: one call per line {original_novel['per_line_mb_s']:.2f} MB/s "
            f"({original_novel['per_line_us']:.1f} µs per line), bulk {original_novel['bulk_mb_s']:.2f} MB/s"
        )
        print(f"  ours / original: per line {novel_line_mb_s / original_novel['per_line_mb_s']:.2f}x, "
              f"bulk {novel_bulk / original_novel['bulk_mb_s']:.2f}x")
    return {
        "per_line_mb_s": round(novel_line_mb_s, 3), "per_line_us": round(novel_line_us, 2), "bulk_mb_s": novel_bulk,
        "original": original_novel if isinstance(original_novel, dict) else None,
    }


def main() -> None:
    rng = random.Random(7)
    guard = SecurityGuard(b"bench-key-0123456789abcdef")
    hs_ready, prepare_s, hs_compile_s = prepare(guard)
    lines_text = mixed_text(2 * 1024 * 1024, random.Random(3))
    line_mb_s, line_us = per_line(guard, lines_text)
    print(f"one call per line: {line_mb_s:.2f} MB/s, {line_us:.1f} µs per line")
    benign = "".join(PIECES) * 2000
    blines = [ln for ln in benign.splitlines() if ln][:20000]
    t0 = time.perf_counter()
    for ln in blines:
        guard.guard(ln, Sink.TRANSCRIPT)
    benign_us = (time.perf_counter() - t0) / len(blines) * 1e6
    print(f"benign line: {benign_us:.1f} µs per call (mean of {len(blines)})")
    breakdown = per_call_breakdown(guard, blines[:5000], [ln for ln in lines_text.splitlines() if ln][:5000])
    print("per-call breakdown, µs (benign lines | mixed lines):")
    for part, (b_us, m_us) in breakdown.items():
        print(f"  {part:34} {b_us:8.2f} | {m_us:8.2f}")
    plain = SecurityGuard(b"bench-key-0123456789abcdef")
    for detector in (plain._data, plain._risk):
        detector.prefilter = None
        detector.hyperscan = None
    plain_mb_s, plain_us = per_line(plain, lines_text)
    print(f"same run, RE2 and Hyperscan off (literal prefilter only): one call per line {plain_mb_s:.2f} MB/s, "
          f"{plain_us:.1f} µs per line")
    bulk_text = mixed_text(10 * 1024 * 1024, random.Random(7))
    lines = [ln for ln in lines_text.splitlines() if ln]
    original = original_pipeline(lines, bulk_text)
    if isinstance(original, str):
        print(f"original pipeline: {original}")
    else:
        print(
            f"original pipeline (node): one call per line {original['per_line_mb_s']:.2f} MB/s "
            f"({original['per_line_us']:.1f} µs per line), bulk {original['bulk_mb_s']:.2f} MB/s"
        )
    novel_figures = novel_section()
    text = mixed_text(10 * 1024 * 1024, rng)
    mb = len(text.encode()) / 1e6
    print(f"mixed text: {mb:.1f} MB in 16 KB messages")
    tput = {sink.value: round(throughput(guard, sink, text), 2) for sink in (Sink.TRANSCRIPT, Sink.PROVIDER)}
    for sink, value in tput.items():
        print(f"  guard throughput ({sink}): {value:.2f} MB/s")
    if not isinstance(original, str):
        print(f"  ours / original on the repeated pieces: per line {line_mb_s / original['per_line_mb_s']:.2f}x, "
              f"bulk {tput[Sink.TRANSCRIPT.value] / original['bulk_mb_s']:.2f}x")
    plain_bulk = round(throughput(plain, Sink.TRANSCRIPT, text), 2)
    print(f"  same text, Hyperscan off (literal prefilter only, transcript): {plain_bulk:.2f} MB/s")

    message = mixed_text(4096, random.Random(11))
    p50, p99 = latency(guard, message, 2000)
    print(f"4 KB message latency (transcript): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    plain_p50, plain_p99 = latency(plain, message, 500)
    print(f"  same message, Hyperscan off: p50 {plain_p50:.3f} ms, p99 {plain_p99:.3f} ms")

    scores, mistakes = precision_recall(load_corpus(), guard)
    print("corpus precision / recall per category:")
    for cat, s in scores.items():
        print(f"  {cat:18} P={s.precision:.3f} R={s.recall:.3f} (tp={s.tp} fp={s.fp} fn={s.fn})")
    print(f"  mistakes: {len(mistakes)}")

    print(
        json.dumps(
            {
                "bench": "guard",
                "mixed_mb": round(mb, 2),
                "throughput_mb_s": tput,
                "throughput_mb_s_hyperscan_off": plain_bulk,
                "hyperscan": {"ready": hs_ready, "prepare_s": round(prepare_s, 3), "compile_s": round(hs_compile_s, 3)},
                "latency_4kb_ms_hyperscan_off": {"p50": round(plain_p50, 4), "p99": round(plain_p99, 4)},
                "per_line_mb_s": round(line_mb_s, 3),
                "per_line_us": round(line_us, 2),
                "per_line_mb_s_prefilter_off": round(plain_mb_s, 3),
                "breakdown_us": {k: [round(a, 2), round(b, 2)] for k, (a, b) in breakdown.items()},
                "benign_line_us": round(benign_us, 2),
                "original": original if isinstance(original, dict) else None,
                "novel": novel_figures,
                "latency_4kb_ms": {"p50": round(p50, 4), "p99": round(p99, 4)},
                "corpus": {
                    cat: {"precision": round(s.precision, 4), "recall": round(s.recall, 4)}
                    for cat, s in scores.items()
                },
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    main()
