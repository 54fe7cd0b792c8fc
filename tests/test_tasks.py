"""The task service: validation, bounds, guarded ownership paths, audit events."""

from __future__ import annotations

from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.errors import OrchestraError, PathOutsideWorkspaceError, ValidationError
from orchestra.tasks.service import TaskExistsError, TaskNotFoundError


def test_add_get_list(app: Orchestra) -> None:
    task = app.tasks.add({"id": "T-1", "title": "  Build it ", "goal": "g", "acceptance_criteria": ["a", "b"],
                          "ownership_paths": ["src", "./src", "docs/x.md"], "owner_role": "developer"})
    assert task.title == "Build it"
    assert task.ownership_paths == ["src", "docs/x.md"]
    assert app.tasks.get("T-1") == task
    app.tasks.add({"id": "A.2", "title": "second", "status": "in_progress"})
    assert [t.id for t in app.tasks.list()] == ["A.2", "T-1"]
    assert [t.id for t in app.tasks.list(status="in_progress")] == ["A.2"]
    assert [t.id for t in app.tasks.list(after_id="A.2")] == ["T-1"]
    events = app.events.list(event_type="TASK_CREATED")
    assert [e.task_id for e in events] == ["T-1", "A.2"]
    assert events[0].metadata == {"status": "planned", "ownerRole": "developer", "acceptanceCriteria": 2,
                                  "ownershipPaths": 2, "redactions": 0}


def test_duplicate_id_is_coded_and_writes_nothing(app: Orchestra) -> None:
    app.tasks.add({"id": "T1", "title": "one"})
    with pytest.raises(TaskExistsError) as caught:
        app.tasks.add({"id": "T1", "title": "again"})
    assert caught.value.code == "task_exists"
    assert app.tasks.get("T1").title == "one"
    assert app.events.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"id": "", "title": "t"},
        {"id": "-leading", "title": "t"},
        {"id": "has space", "title": "t"},
        {"id": "x" * 65, "title": "t"},
        {"id": "T", "title": ""},
        {"id": "T", "title": "t" * 201},
        {"id": "T", "title": "t", "goal": "g" * 4001},
        {"id": "T", "title": "t", "acceptance_criteria": ["c"] * 51},
        {"id": "T", "title": "t", "acceptance_criteria": ["c" * 1001]},
        {"id": "T", "title": "t", "owner_role": "Dev Ops"},
        {"id": "T", "title": "t", "status": "finished"},
        {"id": "T", "title": "t", "unexpected": 1},
    ],
)
def test_bad_input_is_coded_and_writes_nothing(app: Orchestra, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        app.tasks.add(data)
    assert caught.value.code == "invalid_input"
    assert app.tasks.list() == [] and app.events.count() == 0


@pytest.mark.parametrize("path", ["/etc", "../x", "a/../../b"])
def test_escaping_ownership_paths_are_refused(app: Orchestra, path: str) -> None:
    with pytest.raises(PathOutsideWorkspaceError):
        app.tasks.add({"id": "T", "title": "t", "ownership_paths": ["ok", path]})
    assert app.tasks.list() == [] and app.events.count() == 0


def test_missing_task_and_bad_limits(app: Orchestra) -> None:
    with pytest.raises(TaskNotFoundError):
        app.tasks.get("nope")
    with pytest.raises(OrchestraError):
        app.tasks.list(limit=501)


def test_secrets_in_task_text_are_redacted_before_storage(app: Orchestra) -> None:
    token = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
    task = app.tasks.add({"id": "S", "title": f"Rotate {token}", "goal": "db password=Tr0ub4dor&3-horse",
                          "acceptance_criteria": [f"old token {token} revoked"]})
    stored = app.tasks.get("S").model_dump_json() + task.model_dump_json()
    assert token not in stored and "Tr0ub4dor" not in stored
    assert "[REDACTED_SECRET]" in task.title and "[REDACTED_PASSWORD]" in task.goal
    assert app.events.list(event_type="TASK_CREATED")[0].metadata["redactions"] == 3
