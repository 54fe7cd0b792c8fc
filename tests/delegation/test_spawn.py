"""spawn_request: admission, queueing, rejection, runtimes, idempotency, artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.delegation.errors import DelegationRejectedError, IdempotencyConflictError, RuntimeCannotSpawnError
from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from orchestra.tasks.service import TaskNotFoundError
from tests.delegation.conftest import FakeClock, open_app


def _files(app: Orchestra) -> set[str]:
    runs = app.layout.workflow_dir / "runs"
    return {p.name for p in runs.iterdir()} if runs.exists() else set()


def test_admit_writes_artifacts_event_and_instructions(dapp: Orchestra) -> None:
    result = dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": "Fix the parser"})
    assert result.status == "requested" and not result.replayed
    assert result.role == "developer" and result.phase == "developer" and result.runtime == "claude-cli"
    assert result.parent_action.kind == "launch-native-subagent" and result.parent_action.tool == "Agent"
    assert result.parent_action.next_calls[0].arguments == {"session_id": result.session_id, "status": "spawned",
                                              "agent_id": "<child id>"}
    root = dapp.layout.root
    for path in (result.artifacts.prompt, result.artifacts.request, result.artifacts.request_json,
                 result.artifacts.context_manifest):
        assert (root / path).is_file(), path
    prompt = (root / result.artifacts.prompt).read_text()
    assert f"- Session id: {result.session_id}" in prompt and "## Return Contract" in prompt
    assert "Fix the parser" in prompt and "## Preprocessed Runtime Context" in prompt
    assert f'session_update(session_id="{result.session_id}"' in prompt
    request = json.loads((root / result.artifacts.request_json).read_text())
    assert request["directProviderApiAllowed"] is False and request["sessionId"] == result.session_id
    events = dapp.events.list(event_type="RUNTIME_SPAWN_REQUEST_RENDERED")
    assert len(events) == 1 and events[0].metadata["sessionId"] == result.session_id
    assert result.artifacts.prompt in events[0].artifacts
    assert dapp.events.verify().ok


def test_session_ids_are_unique_per_spawn(dapp: Orchestra) -> None:
    ids = {dapp.delegation.spawn({"task_id": "T-1", "runtime": "codex-cli"}).session_id for _ in range(3)}
    assert len(ids) == 3


def test_concurrency_limit_is_global_across_tasks(dapp: Orchestra) -> None:
    statuses = [dapp.delegation.spawn({"task_id": t, "runtime": "claude-cli"}).status
                for t in ("T-1", "T-2", "T-3", "T-1", "T-2")]
    assert statuses == ["requested", "requested", "requested", "queued", "queued"]
    queued = dapp.delegation.list_sessions(status="queued").sessions
    assert sorted(s.queue_position or 0 for s in queued) == [1, 2]
    assert dapp.delegation.list_sessions().counts.active == 3


def test_per_task_limit(workspace: Path, clock: FakeClock) -> None:
    app = open_app(workspace, clock, maxConcurrentDelegates=10, maxSpawnsPerTask=2)
    statuses = [app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"}).status for _ in range(3)]
    assert statuses == ["requested", "requested", "queued"]
    assert app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"}).status == "requested"
    app.close()


def test_reject_mode_writes_nothing(workspace: Path, clock: FakeClock) -> None:
    app = open_app(workspace, clock, maxConcurrentDelegates=1, limitAction="reject")
    app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli"})
    before_files, before_events = _files(app), app.events.count()
    with pytest.raises(DelegationRejectedError) as caught:
        app.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli"})
    assert "exceed max concurrent 1" in caught.value.message
    assert _files(app) == before_files and app.events.count() == before_events
    assert app.delegation.list_sessions().counts.total == 1
    app.close()


def test_nested_and_depth_are_rejected_even_in_queue_mode(dapp: Orchestra) -> None:
    with pytest.raises(DelegationRejectedError, match="nested delegation requires explicit policy approval"):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "depth": 1})
    assert _files(dapp) == set()


def test_runtime_that_cannot_spawn_names_alternatives(dapp: Orchestra) -> None:
    with pytest.raises(RuntimeCannotSpawnError) as caught:
        dapp.delegation.spawn({"task_id": "T-1"})  # default generic-runtime, nothing inferred
    assert "claude-cli" in caught.value.message and "codex-cli" in caught.value.message
    with pytest.raises(RuntimeCannotSpawnError):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "vscode-agent"})
    assert dapp.delegation.spawn({"task_id": "T-1"}, client_name="claude-code").runtime == "claude-cli"


def test_bad_input(dapp: Orchestra) -> None:
    with pytest.raises(TaskNotFoundError):
        dapp.delegation.spawn({"task_id": "nope", "runtime": "claude-cli"})
    with pytest.raises(ValidationError):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "role": "Bad Role"})
    with pytest.raises(ValidationError):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "nonsense"})
    with pytest.raises(PathOutsideWorkspaceError):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "ownership_paths": ["../x"]})
    with pytest.raises(ValidationError):
        dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "idempotency_key": "short"})
    assert _files(dapp) == set() and dapp.delegation.list_sessions().counts.total == 0


def test_idempotency_key_replays_and_conflicts(dapp: Orchestra) -> None:
    first = dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "idempotency_key": "req-0001"})
    again = dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "idempotency_key": "req-0001"})
    assert again.replayed and again.session_id == first.session_id
    assert dapp.delegation.list_sessions().counts.total == 1
    with pytest.raises(IdempotencyConflictError):
        dapp.delegation.spawn({"task_id": "T-2", "runtime": "claude-cli", "idempotency_key": "req-0001"})


def test_quality_warnings(dapp: Orchestra) -> None:
    dapp.tasks.add({"id": "BARE", "title": "No criteria", "owner_role": "developer"})
    result = dapp.delegation.spawn({"task_id": "BARE", "runtime": "claude-cli"})
    assert "task has no explicit acceptance criteria" in result.quality_warnings
