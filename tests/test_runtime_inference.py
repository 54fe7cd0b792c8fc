"""Inference and selection order, with an injected clock and environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestra.errors import UnknownRuntimeError
from orchestra.runtime.inference import (
    Inference,
    RuntimePolicyView,
    client_runtime,
    infer_active_runtime,
    select_runtime,
)
from orchestra.runtime.record import write_active_runtime

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENV = "OPEN_ORCHESTRA_ACTIVE_RUNTIME"


def test_nothing_known(workspace: Path) -> None:
    found = infer_active_runtime(workspace, env={}, now=T0)
    assert (found.runtime, found.source) == (None, None)
    assert [s.name for s in found.signals] == ["record", "env"]


def test_fresh_record_beats_env(workspace: Path) -> None:
    write_active_runtime(workspace, "cursor-cli", now=T0)
    found = infer_active_runtime(workspace, env={ENV: "codex"}, now=T0 + timedelta(hours=1))
    assert (found.runtime, found.source) == ("cursor-cli", "record")
    env_signal = next(s for s in found.signals if s.name == "env")
    assert env_signal.status == "available" and env_signal.runtime == "codex-cli"


def test_stale_record_falls_back_to_env(workspace: Path) -> None:
    write_active_runtime(workspace, "cursor-cli", now=T0)
    found = infer_active_runtime(workspace, env={ENV: "codex"}, now=T0 + timedelta(hours=25))
    assert (found.runtime, found.source) == ("codex-cli", "env")
    assert next(s for s in found.signals if s.name == "record").status == "stale"


def test_env_generic_maps_to_generic_runtime(workspace: Path) -> None:
    assert infer_active_runtime(workspace, env={ENV: "generic"}, now=T0).runtime == "generic-runtime"


def test_unknown_env_value_raises_only_when_reached(workspace: Path) -> None:
    with pytest.raises(UnknownRuntimeError) as info:
        infer_active_runtime(workspace, env={ENV: "emacs"}, now=T0)
    assert info.value.message == (
        "unknown active runtime from OPEN_ORCHESTRA_ACTIVE_RUNTIME: emacs. "
        "Use --runtime or runtimePolicy.defaults.executor"
    )
    lenient = infer_active_runtime(workspace, env={ENV: "emacs"}, now=T0, strict=False)
    assert lenient.runtime is None and lenient.signals[-1].status == "invalid"
    write_active_runtime(workspace, "claude-cli", now=T0)
    assert infer_active_runtime(workspace, env={ENV: "emacs"}, now=T0).runtime == "claude-cli"


def test_client_beats_records_and_session_record_beats_shared(workspace: Path) -> None:
    write_active_runtime(workspace, "codex-cli", now=T0, session_id="s-1")
    write_active_runtime(workspace, "cursor-cli", now=T0, session_id="s-2")
    env = {"OPEN_ORCHESTRA_SESSION_ID": "s-1"}
    found = infer_active_runtime(workspace, env=env, now=T0)
    assert (found.runtime, found.source) == ("codex-cli", "session-record")
    found = infer_active_runtime(workspace, env=env, now=T0, client_name="claude-code")
    assert (found.runtime, found.source) == ("claude-cli", "client")
    found = infer_active_runtime(workspace, env={}, now=T0, client_name="some-inspector")
    assert (found.runtime, found.source) == ("cursor-cli", "record")
    assert found.signals[0].status == "unrecognized"


@pytest.mark.parametrize(("name", "runtime"), [
    ("claude-code", "claude-cli"), ("cursor-vscode", "cursor-cli"), ("codex-mcp-client", "codex-cli"),
    ("Visual Studio Code", "vscode-agent"), ("Windsurf", "windsurf-agent"), ("claude-ai", None), ("", None),
])
def test_client_names(name: str, runtime: str | None) -> None:
    assert client_runtime(name) == runtime


def test_selection_order() -> None:
    policy = RuntimePolicyView(by_role={"reviewer": "codex-cli"}, by_task={"T-1": "cursor-cli"})
    calls: list[int] = []

    def infer() -> Inference:
        calls.append(1)
        return Inference("claude-cli", "record")

    assert select_runtime(policy, explicit="windsurf-agent", task_id="T-1", infer=infer).source == "explicit"
    assert select_runtime(policy, task_id="T-1", role="reviewer", infer=infer).runtime == "cursor-cli"
    assert select_runtime(policy, task_id="T-2", role="reviewer", infer=infer).source == "role"
    assert not calls
    chosen = select_runtime(policy, task_id="T-2", role="dev", infer=infer)
    assert (chosen.runtime, chosen.source) == ("claude-cli", "record")
    configured = RuntimePolicyView(default="codex-cli")
    assert select_runtime(configured, infer=infer).source == "default"
    assert len(calls) == 1
    nothing = select_runtime(RuntimePolicyView(), infer=lambda: Inference(None, None))
    assert (nothing.runtime, nothing.source) == ("generic-runtime", "default")


def test_selection_validates_overrides() -> None:
    with pytest.raises(UnknownRuntimeError, match=r"runtimePolicy\.byTask\.T-1"):
        select_runtime(RuntimePolicyView(by_task={"T-1": "emacs"}), task_id="T-1")
    with pytest.raises(UnknownRuntimeError):
        select_runtime(RuntimePolicyView(), explicit="emacs")


def test_policy_from_json_tolerates_junk() -> None:
    view = RuntimePolicyView.from_json({"runtimePolicy": {"defaults": {"executor": "claude-cli"},
                                                          "byRole": {"a": {"executor": "codex-cli"}, "b": 3},
                                                          "byTask": []}})
    assert view.default == "claude-cli" and dict(view.by_role) == {"a": "codex-cli"} and not view.by_task
    assert RuntimePolicyView.from_json([]).default == "generic-runtime"
