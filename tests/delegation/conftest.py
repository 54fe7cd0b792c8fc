"""Fixtures for delegation tests: a workspace with tasks and a controllable clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestra.app import Orchestra


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_app(workspace: Path, clock: FakeClock | None = None, **guardrails: object) -> Orchestra:
    """Open ``workspace`` with guardrail overrides written to config.json."""
    if guardrails:
        folder = workspace / ".agent-workflow"
        folder.mkdir(exist_ok=True)
        config = {"runtimePolicy": {"delegation": {"guardrails": guardrails}}}
        (folder / "config.json").write_text(json.dumps(config))
    app = Orchestra.open(workspace)
    if clock is not None:
        app.delegation.clock = clock
    for task in ("T-1", "T-2", "T-3"):
        app.tasks.add({"id": task, "title": f"Task {task}", "goal": "Make it work",
                       "acceptance_criteria": ["tests pass"], "owner_role": "developer"})
    return app


@pytest.fixture
def dapp(workspace: Path, clock: FakeClock) -> Iterator[Orchestra]:
    app = open_app(workspace, clock)
    yield app
    app.close()


def write_handoff(app: Orchestra, session_id: str, body: str = "All done.", **overrides: str) -> str:
    """Write a handoff that satisfies the return contract (fields overridable); returns its path."""
    detail = app.delegation.get(session_id).session
    fields = {"Task id": detail.task_id, "Phase": detail.phase, "Role": detail.role, "Runtime": detail.runtime,
              "Session id": detail.session_id}
    fields.update({k.replace("_", " "): v for k, v in overrides.items()})
    lines = [f"- {k}: {v}" for k, v in fields.items() if v != "<omit>"]
    path = app.layout.root / detail.artifacts.expected_result
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + f"\n\n## Summary\n{body}\n")
    return detail.artifacts.expected_result
