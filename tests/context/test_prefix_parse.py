"""Large files are parsed in growing prefixes when the budget shows only their first declarations.

The schema of a prefix must be exactly the first lines of the whole file's schema (the import summary
aside: it covers the imports of the parsed part), in every language, wherever the cut falls.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.app import Orchestra
from orchestra.context.code import extract as extraction
from orchestra.context.code.languages import language_for
from orchestra.context.code.parsing import ParseFailure
from tests.context.test_languages import EXPECTED, SAMPLES, _bundle_file

CODE_SAMPLES = sorted(name for name, (language, _) in EXPECTED.items() if language not in ("yaml", "toml", "json"))


def _numbered(lines: list[str]) -> list[tuple[int, str]]:
    return [(int(line.split(":", 1)[0]), line) for line in lines]


def _assert_first_lines_of(partial: list[str], full: list[str]) -> None:
    """``partial`` is ``full``'s first lines, but for at most one import summary that lists fewer imports."""
    got, whole = _numbered(partial), _numbered(full)
    assert [n for n, _ in got] == [n for n, _ in whole[: len(got)]]
    differing = [(a, b) for (_, a), (_, b) in zip(got, whole, strict=False) if a != b]
    assert len(differing) <= 1, differing
    for mine, theirs in differing:  # the import summary: the same first imports, fewer of them
        assert theirs.startswith(mine.removesuffix("...")), (mine, theirs)


@pytest.mark.parametrize("name", CODE_SAMPLES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_prefix_schema_is_the_start_of_the_whole_schema(monkeypatch: pytest.MonkeyPatch, name: str,
                                                          data: st.DataObject) -> None:
    """Prefixes start small here, so that every sample is cut at many places (in strings, comments, blocks)."""
    source = (SAMPLES / name).read_bytes()
    spec = language_for(name)
    assert spec is not None
    full = extraction.extract(spec, source)
    start = data.draw(st.integers(16, max(16, len(source) // 2 - 1)), label="prefix start")
    enough = data.draw(st.integers(1, len(full.lines) + 2), label="enough")
    monkeypatch.setattr(extraction, "PREFIX_START", start)
    monkeypatch.setattr(extraction, "CUT_SEARCH_BYTES", data.draw(st.sampled_from([0, 64, 16 * 1024])))
    got = extraction.extract(spec, source, enough=enough)
    if got.complete:
        assert got.lines == full.lines
    else:
        assert len(got.lines) > enough
        _assert_first_lines_of(got.lines, full.lines)


def _one_big_class(methods: int) -> str:
    body = "".join(f"    def method_{i}(self, value: int) -> int:\n        \"\"\"Method {i}.\n\nIts notes.\n"
                   f"        \"\"\"\n        total = value * {i}\n        return total + 1\n\n" for i in range(methods))
    return f'"""A module with one large class."""\n\nimport os\n\n\nclass Engine:\n    """The engine."""\n\n{body}'


def test_a_large_class_is_parsed_only_as_far_as_the_budget_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like _pydecimal.py: one class over most of the file; the schema stops where the budget does."""
    source = _one_big_class(3_000).encode()
    spec = language_for("engine.py")
    assert spec is not None and len(source) > 300_000
    parsed: list[int] = []
    real = extraction.parse

    def counting(spec_: object, data: bytes, **kwargs: object) -> object:
        parsed.append(len(data))
        return real(spec_, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(extraction, "parse", counting)
    got = extraction.extract(spec, source, enough=80)
    assert not got.complete and len(got.lines) > 80
    assert max(parsed) < len(source) // 4
    monkeypatch.setattr(extraction, "parse", real)
    _assert_first_lines_of(got.lines, extraction.extract(spec, source).lines)


def test_the_bundle_says_more_declarations_follow(app: Orchestra) -> None:
    file = _bundle_file(app, "engine.py", _one_big_class(3_000).encode(), per_file=40)
    assert file.strategy == "schema-extraction" and file.final_lines == 40
    assert file.content.splitlines()[-1] == "# ... more declaration lines (schema cut at 40 lines)"
    assert "class Engine" in file.content and "return total" not in file.content


def test_an_early_syntax_error_in_a_large_file_still_falls_back(app: Orchestra) -> None:
    broken = _one_big_class(3_000).replace("def method_3(self", "def method_3(self,,", 1)
    with pytest.raises(ParseFailure, match="syntax error near line"):
        spec = language_for("engine.py")
        assert spec is not None
        extraction.extract(spec, broken.encode(), enough=80)
    file = _bundle_file(app, "broken.py", broken.encode(), per_file=40)
    assert file.strategy == "head-tail-truncation" and "syntax error" in (file.fallback_reason or "")


def test_a_brace_language_prefix_ends_with_its_blocks_open() -> None:
    """Java: every member is inside the class, so each prefix leaves the class open (missing closers)."""
    members = "".join(f"    /** Handles {i}. */\n    public int handle{i}(int value) {{\n"
                      f"        int total = value * {i};\n        String s = \"}} {{ not a brace\";\n"
                      "        return total + 1;\n    }\n\n"
                      for i in range(2_500))
    source = f"package demo;\n\n/** Many handlers. */\npublic class Handlers {{\n{members}}}\n".encode()
    spec = language_for("Handlers.java")
    assert spec is not None
    got = extraction.extract(spec, source, enough=60)
    assert not got.complete
    _assert_first_lines_of(got.lines, extraction.extract(spec, source).lines)


def test_a_small_file_is_parsed_whole_and_walked_only_as_far_as_shown(tmp_path: Path) -> None:
    """Under two prefixes' size a file is parsed whole (a syntax error at its end is found) but its
    declarations are collected only up to the lines asked for, plus one to say more follow."""
    spec = language_for("inventory.py")
    assert spec is not None
    source = (SAMPLES / "inventory.py").read_bytes()
    assert len(source) < 2 * extraction.PREFIX_START
    full = extraction.extract(spec, source)
    assert full.complete and len(full.lines) > 3
    shown = extraction.extract(spec, source, enough=2)
    assert not shown.complete and len(shown.lines) == 3
    _assert_first_lines_of(shown.lines, full.lines)
    assert extraction.extract(spec, source, enough=len(full.lines)).complete
    with pytest.raises(ParseFailure, match="syntax error"):
        extraction.extract(spec, source + b"\ndef broken(:\n", enough=1)


def test_data_files_are_read_whole_whatever_is_shown() -> None:
    spec = language_for("settings.json")
    assert spec is not None
    source = json.dumps({f"key_{i}": {"nested": i} for i in range(50)}).encode()
    keys = extraction.extract(spec, source, enough=1)
    assert keys.complete and len(keys.lines) > 50


@pytest.mark.parametrize("source", [
    # a long enum (a whole-kind declaration: its signature is the whole node), clipped from its first bytes
    "pub enum Big {\n" + "".join(f"    Variant{i},\n" for i in range(3000)) + "}\n",
    # a signature whose first 4 KiB collapse to a few characters: collapsed whole, as before
    "pub fn spaced(" + " " * 9000 + "a: u32,\n" + "".join(f"    p{i}: u32,\n" for i in range(40)) + ") {}\n",
])
def test_a_long_signature_is_collapsed_only_as_far_as_shown(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = language_for("big.rs")
    assert spec is not None
    data = source.encode()
    bounded = extraction.extract(spec, data).lines
    monkeypatch.setattr(extraction, "SIGNATURE_SCAN_BYTES", len(data) + 1)
    assert bounded == extraction.extract(spec, data).lines
    assert all(len(line) < 200 for line in bounded)
