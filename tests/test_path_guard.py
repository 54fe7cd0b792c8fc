"""PathGuard gives exactly what guard_path gives (results and error codes), for many path shapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestra.errors import OrchestraError
from orchestra.workspace.paths import PathGuard, guard_path

CASES = ["a.txt", "src/mod.py", "src", ".", "./src/./mod.py", "src//mod.py", "missing/deeper/x.py", "a.txt/inside",
         "link_in/mod.py", "link_in", "link_out", "link_out/x", "loop", "loop/x", "dangling", "src\\mod.py",
         "../x", "/etc/passwd", "", "  ", "a\x00b", "C:/x", "x" * 1100, "src/link_up/mod.py", "dir link/mod.py"]


def _outcome(call: object, raw: str) -> tuple[str, str]:
    try:
        found = call(raw)  # type: ignore[operator]
    except OrchestraError as exc:
        return ("error", exc.code)
    return (str(found.absolute), found.relative)


def test_the_batch_guard_matches_guard_path(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x").write_text("x")
    root = tmp_path / "work"
    (root / "src").mkdir(parents=True)
    (root / "src" / "mod.py").write_text("x = 1\n")
    (root / "a.txt").write_text("a")
    (root / "dir link").mkdir()
    (root / "dir link" / "mod.py").write_text("y")
    os.symlink(root / "src", root / "link_in")
    os.symlink(outside, root / "link_out")
    os.symlink(root / "loop", root / "loop")
    os.symlink(root / "nowhere", root / "dangling")
    os.symlink("..", root / "src" / "link_up")
    linked_root = tmp_path / "root_link"
    os.symlink(root, linked_root)
    for base in (root, linked_root):
        batch = PathGuard(base)
        for raw in CASES:
            assert _outcome(batch.guard, raw) == _outcome(lambda r, b=base: guard_path(b, r), raw), raw


@pytest.mark.parametrize("raw", ["src/mod.py", "."])
def test_the_batch_guard_result_is_inside_the_root(tmp_path: Path, raw: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mod.py").write_text("")
    found = PathGuard(tmp_path).guard(raw)
    assert found.absolute.is_relative_to(tmp_path.resolve())
