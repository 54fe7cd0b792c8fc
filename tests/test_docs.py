"""Generated documentation stays in sync with the live server."""

from __future__ import annotations

from pathlib import Path

from orchestra_mcp.docgen import generate

ROOT = Path(__file__).resolve().parents[1]


def test_tools_md_matches_the_live_server() -> None:
    committed = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    assert committed == generate(), "docs/tools.md is stale: run `make docs`"
