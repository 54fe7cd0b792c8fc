"""Ranking when owned files exceed the budget, and the extraction cache (reuse, change, processes, secrets)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.context.cache import ExtractionCache
from orchestra.context.config import BundleConfig
from orchestra.context.guarding import prompt_guard
from orchestra.context.model import ContextSource
from orchestra.context.preprocessor import Preprocessor
from orchestra.security.guard import SecurityGuard

FAKE_GITHUB_TOKEN = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"


def _module(name: str, functions: int, uses: str = "") -> str:
    body = "".join(f"def {name}_step_{i}(value: int) -> int:\n    \"\"\"Step {i}.\"\"\"\n    return value + {i}\n\n"
                   for i in range(functions))
    return f'"""Module {name}."""\n{uses}\n\n{body}'


def _seed_tree(root: Path) -> list[str]:
    paths = []
    for i in range(8):
        rel = f"pkg/filler_{i}.py"
        (root / "pkg").mkdir(exist_ok=True)
        (root / rel).write_text(_module(f"filler{i}", 30))
        paths.append(rel)
    (root / "pkg/zz_invoices.py").write_text(
        '"""Invoices."""\n\nclass InvoiceParser:\n    """Reads invoices."""\n\n'
        '    def parse(self, text: str) -> dict:\n        return {}\n'
        + "".join(f"\n\ndef helper_{i}() -> int:\n    return {i}\n" for i in range(40)))
    (root / "pkg/zz_uses_parser.py").write_text(_module("user", 30, "from pkg.zz_invoices import InvoiceParser\n"
                                                        "PARSER = InvoiceParser()"))
    return [*paths, "pkg/zz_invoices.py", "pkg/zz_uses_parser.py"]


def test_files_defining_what_the_task_names_come_first(app: Orchestra) -> None:
    paths = _seed_tree(app.layout.root)
    app.tasks.add({"id": "R-1", "title": "Fix the InvoiceParser", "goal": "Parse invoices with VAT lines",
                   "ownership_paths": paths})
    manifest = app.context.manifest("R-1", "developer", max_lines_per_file=20, total_line_budget=50)
    bundle = manifest.bundle
    owned = [f.path for f in bundle.files if not f.required]
    assert owned[0] == "pkg/zz_invoices.py", owned
    assert "InvoiceParser" in bundle.files[[f.path for f in bundle.files].index(owned[0])].content
    assert bundle.final_lines <= 50
    omitted = [s.path for s in bundle.omitted_sources]
    assert omitted and set(omitted).isdisjoint(f.path for f in bundle.files)
    assert {f.path for f in bundle.files} | set(omitted) == {e.path for e in manifest.entries}
    assert all(s.omitted_because.startswith("ranked ") for s in bundle.omitted_sources)
    again = app.context.manifest("R-1", "developer", max_lines_per_file=20, total_line_budget=50).bundle
    assert again.model_dump_json() == bundle.model_dump_json()


def test_files_keep_their_order_when_all_fit(app: Orchestra) -> None:
    paths = _seed_tree(app.layout.root)
    app.tasks.add({"id": "R-2", "title": "Fix the InvoiceParser", "ownership_paths": paths})
    bundle = app.context.manifest("R-2", "developer", max_lines_per_file=20, total_line_budget=5000).bundle
    assert [f.path for f in bundle.files if not f.required] == paths and not bundle.omitted_sources


def test_second_bundle_over_unchanged_files_does_no_parsing(workspace: Path) -> None:
    paths = _seed_tree(workspace)
    with Orchestra.open(workspace) as first:
        first.tasks.add({"id": "C-1", "title": "cache", "ownership_paths": paths})
        cold = first.context.manifest("C-1", "developer", max_lines_per_file=20)
        assert first.context.preprocessor.stats.parsed == len(paths)
    with Orchestra.open(workspace) as second:  # a new process-like instance over the same workspace
        warm = second.context.manifest("C-1", "developer", max_lines_per_file=20)
        stats = second.context.preprocessor.stats
        assert stats.parsed == 0 and stats.cache_hits == len(paths)
        assert warm.bundle.model_dump_json() == cold.bundle.model_dump_json()
        (workspace / paths[0]).write_text(_module("changed", 31))
        changed = second.context.manifest("C-1", "developer", max_lines_per_file=20)
        assert stats.parsed == 1
        assert changed.bundle.content_hash != cold.bundle.content_hash
        second.context.manifest("C-1", "developer", max_lines_per_file=25)  # another budget: another key
        assert stats.parsed == 1 + len(paths)


def test_no_cache_without_a_workflow_folder(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "a.py").write_text(_module("a", 40))
    guard = prompt_guard(SecurityGuard(b"k" * 32))
    pre = Preprocessor(root, guard, ExtractionCache(root / ".agent-workflow", b"s" * 32))
    bundle = pre.build([ContextSource(path="a.py", reason="r")], BundleConfig(20, 100))
    assert bundle.files[0].strategy == "schema-extraction"
    assert not (root / ".agent-workflow").exists(), "reading must not create state"


def test_cache_holds_no_raw_secret(app: Orchestra) -> None:
    root = app.layout.root
    (root / "settings.py").write_text(f'TOKEN = "{FAKE_GITHUB_TOKEN}"\n' + _module("settings", 40))
    (root / "short.env").write_text(f"GITHUB_TOKEN={FAKE_GITHUB_TOKEN}\n")
    (root / "long.txt").write_text(f"token {FAKE_GITHUB_TOKEN}\n" + "".join(f"row {i}\n" for i in range(300)))
    app.tasks.add({"id": "S-1", "title": "secrets", "ownership_paths": ["settings.py", "short.env", "long.txt"]})
    bundle = app.context.manifest("S-1", "developer", max_lines_per_file=30).bundle
    assert app.context.preprocessor.stats.cache_misses == 3
    assert FAKE_GITHUB_TOKEN not in bundle.model_dump_json()
    assert all(sum(f.redactions.values()) >= 1 for f in bundle.files if not f.required)
    app.context.close()
    cache_dir = root / ".agent-workflow" / "cache"
    stored = b"".join(p.read_bytes() for p in cache_dir.iterdir() if p.is_file())
    assert b"SQLite format 3" in stored and app.context.preprocessor.stats.cache_misses == 3
    assert FAKE_GITHUB_TOKEN.encode() not in stored


WORKER = """
import json, sys
from pathlib import Path
from orchestra.app import Orchestra
root = Path(sys.argv[1])
hashes, rejected = [], 0
for _ in range(4):
    with Orchestra.open(root) as app:
        hashes.append(app.context.manifest("P-1", "developer", max_lines_per_file=20).bundle.content_hash)
        cache = app.context.preprocessor._cache
        rejected += cache.stats.rejected if cache else 0
print(json.dumps({"hashes": hashes, "rejected": rejected}))
"""


def test_processes_building_at_once_never_see_a_torn_entry(workspace: Path) -> None:
    paths = _seed_tree(workspace)
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "P-1", "title": "parallel", "ownership_paths": paths})
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(workspace)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    with Orchestra.open(workspace) as app:
        app.context.preprocessor._cache = None  # the ground truth: built without the cache
        truth = app.context.manifest("P-1", "developer", max_lines_per_file=20).bundle.content_hash
    assert all(r["rejected"] == 0 for r in results)
    assert {h for r in results for h in r["hashes"]} == {truth}


@pytest.mark.sqlite_only
def test_a_forged_cache_entry_is_refused(workspace: Path) -> None:
    (workspace / "mod.py").write_text(_module("mod", 40))
    with Orchestra.open(workspace) as first:
        first.tasks.add({"id": "F-1", "title": "forged", "ownership_paths": ["mod.py"]})
        honest = first.context.manifest("F-1", "developer", max_lines_per_file=20).bundle
    db = workspace / ".agent-workflow" / "cache" / "context.sqlite"
    conn = sqlite3.connect(db)
    (blob,) = conn.execute("SELECT blob FROM extractions").fetchone()
    forged = blob.replace(b"Step 0.", FAKE_GITHUB_TOKEN.encode())
    assert forged != blob
    conn.execute("UPDATE extractions SET blob = ?", (forged,))
    conn.commit()
    conn.close()
    with Orchestra.open(workspace) as second:
        bundle = second.context.manifest("F-1", "developer", max_lines_per_file=20).bundle
        cache = second.context.preprocessor._cache
        assert cache is not None and cache.stats.rejected == 1
        assert second.context.preprocessor.stats.parsed == 1, "a refused entry is rebuilt from the file"
    assert FAKE_GITHUB_TOKEN not in bundle.model_dump_json()
    assert bundle.content_hash == honest.content_hash


def _age(root: Path, paths: list[str], seconds: float) -> None:
    """Set the files' mtime ``seconds`` in the past (older than the memo's racy window)."""
    import os
    import time

    for rel in paths:
        stamp = time.time() - seconds
        os.utime(root / rel, (stamp, stamp))


def test_a_second_bundle_in_the_same_process_reads_no_file(workspace: Path) -> None:
    paths = _seed_tree(workspace)
    _age(workspace, paths, 60)
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "M-1", "title": "memo", "ownership_paths": paths})
        stats = app.context.preprocessor.stats
        cold = app.context.manifest("M-1", "developer", max_lines_per_file=20, total_line_budget=5000)
        assert stats.parsed == len(paths) and stats.memo_hits == 0
        lookups = stats.cache_hits + stats.cache_misses
        warm = app.context.manifest("M-1", "developer", max_lines_per_file=20, total_line_budget=5000)
        assert stats.memo_hits == len(paths) and stats.parsed == len(paths)
        assert stats.cache_hits + stats.cache_misses == lookups, "no cache lookup: the memo answered"
        assert warm.bundle.model_dump_json() == cold.bundle.model_dump_json()
        (workspace / paths[0]).write_text(_module("changed", 31))
        _age(workspace, paths[:1], 30)
        changed = app.context.manifest("M-1", "developer", max_lines_per_file=20, total_line_budget=5000)
        assert stats.parsed == len(paths) + 1, "a changed file is parsed again"
        assert changed.bundle.content_hash != cold.bundle.content_hash
        (workspace / paths[1]).write_text(_module("fresh", 33))  # modified just now: too recent to memoise
        before = stats.parsed
        app.context.manifest("M-1", "developer", max_lines_per_file=20, total_line_budget=5000)
        app.context.manifest("M-1", "developer", max_lines_per_file=20, total_line_budget=5000)
        assert stats.parsed == before + 1, "the fresh file is parsed once, then served by the disk cache"


def test_files_left_out_by_the_budget_are_never_parsed(app: Orchestra) -> None:
    paths = _seed_tree(app.layout.root)
    app.tasks.add({"id": "P-1", "title": "Fix the InvoiceParser", "ownership_paths": paths})
    bundle = app.context.manifest("P-1", "developer", max_lines_per_file=20, total_line_budget=60).bundle
    code = [f for f in bundle.files if f.path.endswith(".py")]
    assert bundle.omitted_sources and code[0].path == "pkg/zz_invoices.py"
    assert app.context.preprocessor.stats.parsed == len(code) < len(paths)


def test_an_extraction_survives_its_cache_encoding(app: Orchestra) -> None:
    from dataclasses import fields

    from orchestra.context.code.languages import language_for
    from orchestra.context.extraction import Extraction, build_extraction
    from orchestra.context.text import from_bytes

    data = _module("roundtrip", 40).encode()
    spec = language_for("roundtrip.py")
    guard = prompt_guard(SecurityGuard(b"k" * 32))
    from orchestra.context.code.extract import extract

    extraction = build_extraction(from_bytes(data), spec, 20, guard, extract)
    assert extraction.schema is not None and extraction.declarations
    again = Extraction.from_json(extraction.to_json())
    assert again == extraction
    assert set(json.loads(extraction.to_json())) == {f.name for f in fields(Extraction)}


def test_a_new_process_reuses_the_ranking_without_scanning(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestra.context import extraction, preprocessor

    scans: list[int] = []

    def counted(data: bytes) -> tuple[list[str], list[int]]:
        scans.append(len(data))
        return extraction.survey(data)

    monkeypatch.setattr(preprocessor, "scan", counted)
    paths = _seed_tree(workspace)
    budget: dict[str, Any] = {"max_lines_per_file": 20, "total_line_budget": 60}
    with Orchestra.open(workspace) as first:
        first.tasks.add({"id": "K-1", "title": "Fix the InvoiceParser", "ownership_paths": paths})
        first.tasks.add({"id": "K-2", "title": "Tidy filler3 steps", "ownership_paths": paths})
        cold = first.context.manifest("K-1", "developer", **budget).bundle
        assert cold.omitted_sources and len(scans) == len(paths)
    with Orchestra.open(workspace) as second:  # what a new server process sees
        warm = second.context.manifest("K-1", "developer", **budget).bundle
        stats = second.context.preprocessor.stats
        assert stats.ranking_hits == 1 and len(scans) == len(paths), "the stored ranking answered: nothing scanned"
        assert stats.parsed == 0
        assert warm.model_dump_json() == cold.model_dump_json()
        other = second.context.manifest("K-2", "developer", **budget).bundle  # other terms: ranked again
        assert len(scans) == 2 * len(paths) and stats.ranking_hits == 1
        assert "pkg/filler_3.py" in {s.path for s in cold.omitted_sources}
        assert "pkg/filler_3.py" in {f.path for f in other.files}, "the other task's own ranking, not the stored one"
        (workspace / "pkg/zz_invoices.py").write_text("def unrelated() -> None:\n    pass\n" * 40)
        changed = second.context.manifest("K-1", "developer", **budget).bundle  # a changed file: ranked again
        assert len(scans) == 3 * len(paths)
        assert changed.content_hash != cold.content_hash


def test_a_forged_ranking_is_ignored(workspace: Path) -> None:
    paths = _seed_tree(workspace)
    budget: dict[str, Any] = {"max_lines_per_file": 20, "total_line_budget": 60}
    with Orchestra.open(workspace) as first:
        first.tasks.add({"id": "F-1", "title": "Fix the InvoiceParser", "ownership_paths": paths})
        cold = first.context.manifest("F-1", "developer", **budget).bundle
    cache = workspace / ".agent-workflow" / "cache" / "context.sqlite"
    with sqlite3.connect(cache) as conn:
        rows = conn.execute("SELECT key FROM extractions WHERE key LIKE 'ranking|%'").fetchall()
        assert len(rows) == 1
        forged = json.dumps([[i, 0, 0.0] for i in reversed(range(len(paths)))]).encode()
        conn.execute("UPDATE extractions SET blob = ? WHERE key = ?", (forged, rows[0][0]))
    with Orchestra.open(workspace) as second:
        again = second.context.manifest("F-1", "developer", **budget).bundle
        assert second.context.preprocessor.stats.ranking_hits == 0
        assert again.model_dump_json() == cold.model_dump_json()


def test_the_survey_finds_definitions_and_identifiers_not_numbers() -> None:
    """What ranking reads of a file without parsing it: names after definition keywords in any of the
    languages, identifiers of three or more characters, never numbers or hex literals."""
    from orchestra.context import extraction
    from orchestra.context.extraction import survey

    source = (b"def parse_config(path):\n    return load(path, 0x1fabc, 123abc)\n"
              b"class Loader: pass\nfunc Serve(server *Server) {}\npub struct Frame;\nconst enum Mode { A }\n"
              b"caf\xc3\xa9 = 1  # non-ASCII bytes end a word\n")
    names, used = survey(source)
    assert names == ["Frame", "Loader", "Mode", "Serve", "parse_config"]
    assert {b"parse_config", b"path", b"load", b"return", b"Loader", b"Server", b"Serve", b"caf"} <= used
    assert b"x1fabc" not in used and b"abc" not in used  # a hex literal or number is one word, not a name
    many = b" ".join(b"%d w%04d" % (i, i) for i in range(4000))  # over the cap: identifiers only, first ones
    _, capped = survey(many)
    assert len(capped) == extraction.MAX_REFERENCES and min(capped) == b"w0000"
    assert not {word for word in capped if word[:1].isdigit() or len(word) < 3}
