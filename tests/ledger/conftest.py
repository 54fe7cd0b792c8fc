"""Fixtures for ledger, budget and provider tests: apps opened with a given config."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra

OpenApp = Callable[[dict[str, Any]], Orchestra]


@pytest.fixture
def open_app(workspace: Path) -> Iterator[OpenApp]:
    """Open the workspace with ``config`` written to ``.agent-workflow/config.json`` first."""
    opened: list[Orchestra] = []

    def _open(config: dict[str, Any]) -> Orchestra:
        folder = workspace / ".agent-workflow"
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        app = Orchestra.open(workspace)
        opened.append(app)
        return app

    yield _open
    for app in opened:
        app.close()

