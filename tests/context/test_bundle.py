"""Bundles through the context service: budgets, omitted sources, determinism, guard, safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.context.manifest import render_markdown
from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from orchestra.tasks.service import TaskNotFoundError

FAKE_GITHUB_TOKEN = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
FAKE_PASSWORD_LINE = "DB_PASSWORD=Tr0ub4dor&3-horse-battery"


def _write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def task_app(app: Orchestra) -> Orchestra:
    root = app.layout.root
    _write(root, "AGENTS.md", "# Agents\nRun the tests before handing off.\n")
    _write(root, "src/small.py", "def f() -> int:\n    return 1\n")
    _write(root, "src/big.txt", "".join(f"row {i}\n" for i in range(500)))
    _write(root, "src/mod.py", "".join(f"def fn_{i}(x: int) -> int:\n    return x + {i}\n\n" for i in range(120)))
    app.tasks.add({"id": "T-1", "title": "Improve the API", "goal": "Faster responses",
                   "acceptance_criteria": ["p99 under 50 ms"], "ownership_paths": ["src/small.py", "src/big.txt",
                                                                                   "src/mod.py", "src/gone.py"]})
    return app


def test_manifest_entries_and_strategies(task_app: Orchestra) -> None:
    manifest = task_app.context.manifest("T-1", "developer", phase="implementation")
    kinds = [(e.path, e.source, e.load_mode) for e in manifest.entries]
    assert kinds == [
        ("task:T-1", "task-definition", "full"),
        ("AGENTS.md", "runtime-instructions", "full"),
        ("src/small.py", "ownership-path", "full"),
        ("src/big.txt", "ownership-path", "excerpt"),
        ("src/mod.py", "ownership-path", "excerpt"),
        ("src/gone.py", "ownership-path", "reference-only"),
    ]
    files = {f.path: f for f in manifest.bundle.files}
    assert files["src/big.txt"].strategy == "head-tail-truncation" and files["src/big.txt"].original_lines == 500
    assert files["src/mod.py"].strategy == "schema-extraction"
    assert files["src/gone.py"].missing and files["src/gone.py"].strategy == "missing"
    assert files["src/small.py"].omitted_content_warning is None
    assert manifest.bundle.omitted_content_warning is not None
    assert manifest.entries[2].sha256 == files["src/small.py"].sha256 and len(files["src/small.py"].sha256 or "") == 64
    bundle = manifest.bundle
    assert bundle.final_lines == sum(f.final_lines for f in bundle.files) <= bundle.config.total_line_budget


def test_sources_past_the_budget_are_listed_as_omitted(task_app: Orchestra) -> None:
    manifest = task_app.context.manifest("T-1", "developer", total_line_budget=20, max_lines_per_file=10)
    bundle = manifest.bundle
    assert bundle.final_lines <= 20
    omitted = [s.path for s in bundle.omitted_sources]
    assert omitted, "later sources must be listed, not silently dropped"
    assert set(omitted).isdisjoint(f.path for f in bundle.files)
    assert {f.path for f in bundle.files} | set(omitted) == {e.path for e in manifest.entries}
    assert "Omitted (total line budget exhausted)" in render_markdown(manifest)


def test_no_bundle_warning_when_nothing_was_reduced(app: Orchestra) -> None:
    _write(app.layout.root, "a.py", "x = 1\n")
    app.tasks.add({"id": "T", "title": "t", "ownership_paths": ["a.py", "missing.py"]})
    assert app.context.manifest("T", "developer").bundle.omitted_content_warning is None


def test_same_inputs_give_byte_identical_bundles(task_app: Orchestra) -> None:
    first = task_app.context.manifest("T-1", "developer")
    second = task_app.context.manifest("T-1", "developer")
    assert first.bundle.model_dump_json() == second.bundle.model_dump_json()
    assert render_markdown(first) == render_markdown(second)
    _write(task_app.layout.root, "src/small.py", "def f() -> int:\n    return 2\n")
    assert task_app.context.manifest("T-1", "developer").bundle.content_hash != first.bundle.content_hash


def test_planted_secret_never_reaches_the_bundle(app: Orchestra) -> None:
    _write(app.layout.root, "config/.env", f"GITHUB_TOKEN={FAKE_GITHUB_TOKEN}\n{FAKE_PASSWORD_LINE}\nDEBUG=1\n")
    _write(app.layout.root, "src/client.py", f'TOKEN = "{FAKE_GITHUB_TOKEN}"\n\ndef call() -> None:\n    ...\n')
    app.tasks.add({"id": "S", "title": "secrets", "ownership_paths": ["config/.env", "src/client.py"]})
    manifest = app.context.manifest("S", "developer")
    text = manifest.model_dump_json() + render_markdown(manifest)
    assert FAKE_GITHUB_TOKEN not in text and "Tr0ub4dor" not in text
    files = {f.path: f for f in manifest.bundle.files}
    assert sum(files["config/.env"].redactions.values()) >= 2
    assert manifest.bundle.redaction_total >= 3
    assert "DEBUG=1" in files["config/.env"].content


def test_escapes_are_refused(app: Orchestra, tmp_path: Path) -> None:
    app.tasks.add({"id": "T", "title": "t"})
    for bad in ("../outside.txt", "/etc/passwd", "a/../../b"):
        with pytest.raises(PathOutsideWorkspaceError):
            app.context.manifest("T", "developer", paths=[bad])
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("top secret\n")
    os.symlink(outside, app.layout.root / "link.txt")
    with pytest.raises(PathOutsideWorkspaceError):
        app.context.manifest("T", "developer", paths=["link.txt"])


def test_binary_non_utf8_and_directories(app: Orchestra) -> None:
    root = app.layout.root
    _write(root, "assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _write(root, "legacy.txt", "caf\xe9 au lait\n".encode("latin-1"))
    for i in range(50):
        _write(root, f"pkg/m{i:02}.py", "x = 1\n")
    app.tasks.add({"id": "T", "title": "t"})
    manifest = app.context.manifest("T", "developer", paths=["assets/logo.png", "legacy.txt", "pkg"])
    files = {f.path: f for f in manifest.bundle.files}
    assert files["assets/logo.png"].strategy == "binary-reference" and "\x00" not in files["assets/logo.png"].content
    assert files["legacy.txt"].decoding_replaced and "\ufffd" in files["legacy.txt"].content
    assert "Invalid UTF-8" in (files["legacy.txt"].omitted_content_warning or "")
    listing = files["pkg"].content.splitlines()
    assert files["pkg"].strategy == "directory-reference" and listing[0].startswith("Directory reference: pkg/")
    assert "- m00.py" in listing and listing[-1] == "- ... 10 more entries"


def test_budgets_env_and_validation(task_app: Orchestra) -> None:
    manifest = task_app.context.manifest("T-1", "developer", env={
        "OPEN_ORCHESTRA_RUNTIME_CONTEXT_MAX_LINES_PER_FILE": "12.9xyz",
        "OPEN_ORCHESTRA_RUNTIME_CONTEXT_TOTAL_LINE_BUDGET": "abc",
    })
    assert manifest.bundle.config.max_lines_per_file == 12
    assert manifest.bundle.config.total_line_budget == 360
    assert len(manifest.bundle.config_warnings) == 2
    with pytest.raises(ValidationError):
        task_app.context.manifest("T-1", "developer", max_lines_per_file=0)
    with pytest.raises(ValidationError):
        task_app.context.manifest("T-1", "Developer")
    with pytest.raises(TaskNotFoundError):
        task_app.context.manifest("nope", "developer")


def test_huge_file_is_streamed_in_bounded_memory(app: Orchestra) -> None:
    path = app.layout.root / "huge.log"
    with path.open("w") as handle:
        for i in range(400_000):
            handle.write(f"log line {i} with some padding text to make it longer\n")
    app.tasks.add({"id": "T", "title": "t", "ownership_paths": ["huge.log"]})
    file = next(f for f in app.context.manifest("T", "developer").bundle.files if f.path == "huge.log")
    assert file.strategy == "head-tail-truncation" and file.original_lines == 400_000
    lines = file.content.splitlines()
    assert lines[0] == "log line 0 with some padding text to make it longer"
    assert lines[-1] == "log line 399999 with some padding text to make it longer"
    assert "omitted 399952 lines" in file.content
