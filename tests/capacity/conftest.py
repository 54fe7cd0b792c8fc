"""Fixtures for capacity tests: an app with capacity config written to config.json and a shared fake clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from tests.delegation.conftest import FakeClock


def open_capacity(workspace: Path, clock: FakeClock | None = None, capacity: dict[str, Any] | None = None,
                  guardrails: dict[str, Any] | None = None) -> Orchestra:
    """Open ``workspace`` with a ``capacity`` section (camelCase) and optional delegation guardrails."""
    folder = workspace / ".agent-workflow"
    folder.mkdir(exist_ok=True)
    config: dict[str, Any] = {"capacity": capacity or {}}
    if guardrails:
        config["runtimePolicy"] = {"delegation": {"guardrails": guardrails}}
    (folder / "config.json").write_text(json.dumps(config))
    app = Orchestra.open(workspace)
    if clock is not None:
        app.capacity.clock = clock
        app.delegation.clock = clock
    return app


def worker(worker_id: str, **fields: Any) -> dict[str, Any]:
    """A remote worker spec with sensible defaults."""
    spec: dict[str, Any] = {"worker_id": worker_id, "workload_classes": ["workflow-phase"], "providers": ["*"],
                            "runtimes": ["*"], "regions": ["eu"], "max_units": 2}
    spec.update(fields)
    return spec


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
