"""``RuntimeService``: the runtime picture for MCP tools and other adapters (typed models)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from orchestra.errors import OrchestraError
from orchestra.runtime.adapters import ADAPTERS, RuntimeAdapter, get_adapter
from orchestra.runtime.inference import (
    Inference,
    RuntimePolicyView,
    client_runtime,
    infer_active_runtime,
    select_runtime,
)
from orchestra.runtime.record import TTL_SECONDS, shared_record_relpath
from orchestra.workspace.config import OrchestraConfig


class AdapterInfo(BaseModel):
    """What a runtime can do for delegation."""

    id: str = Field(description="Runtime id, e.g. claude-cli.")
    target: str = Field(description="init target this runtime belongs to, e.g. claude.")
    label: str
    runtime_native: bool = Field(description="Whether delegation happens inside the runtime itself.")
    can_spawn_subagent: bool = Field(description="Whether the parent can start a sub-agent natively.")
    spawn_mode: str = Field(description="request-only, parent-tool or unsupported.")
    spawn_tool: str | None = Field(description="The parent's native tool that starts a child, if any.")
    parent_action: str | None = Field(description="The original Open Orchestra parent-action kind.")
    launch: str = Field(description="How the parent launches a child.")
    lifecycle_watch: bool = Field(description="Whether host hooks can report child start/stop.")
    lifecycle_events: list[str] = Field(description="The host hook events that report child lifecycle.")

    @classmethod
    def of(cls, adapter: RuntimeAdapter) -> AdapterInfo:
        return cls.model_validate(adapter.to_dict())


class SignalInfo(BaseModel):
    """One piece of evidence about the active runtime, in the order it is consulted."""

    name: str = Field(description="client, session-record, record or env.")
    status: str = Field(description="used, available, absent, unrecognized, invalid, missing, corrupted or stale.")
    runtime: str | None = Field(description="The runtime this signal points to, if any.")
    value: str | None = Field(description="Client name, env value or record path.")
    detail: str | None = None


class ClientInfo(BaseModel):
    """The MCP client that made this call (from its initialize/clientInfo)."""

    name: str | None
    version: str | None
    runtime: str | None = Field(description="The runtime id this client name maps to, if known.")


class RuntimeChoice(BaseModel):
    """A runtime and the signal or rule that chose it."""

    runtime: str | None = Field(description="Runtime id, or null when nothing identifies one.")
    source: str | None = Field(description="client, session-record, record, env, explicit, task, role or default.")
    can_spawn_subagent: bool | None = None
    error: str | None = Field(None, description="Why no runtime could be chosen (e.g. an invalid override).")


class RuntimeStatus(BaseModel):
    """Which runtime is active, which executes delegated work, and what every runtime can do."""

    active: RuntimeChoice = Field(description="The runtime the caller is running in, by inference.")
    executor: RuntimeChoice = Field(description="The runtime that would execute delegated work by default "
                                                "(runtimePolicy, then inference).")
    client: ClientInfo | None = Field(description="The calling MCP client; null outside a tool call.")
    signals: list[SignalInfo]
    record_path: str | None = Field(None, description="Workspace-relative path of the shared active-runtime "
                                                      "record (the orchestra://runtime resource).")
    record_ttl_hours: int | None = None
    adapters: list[AdapterInfo] = Field(description="What each runtime can do; in a tool call only the active and "
                                                    "executor runtimes (every runtime: orchestra://runtime).")
    next_step: str = Field(description="What the caller should do next.")
    delegation: dict[str, int] | None = Field(
        None, description="Delegated sessions by state: requested (pending parent action: launch the child), "
                          "queued, running (spawned or active), suspended.")


class RuntimeService:
    """Runtime inference and selection for one workspace."""

    def __init__(self, root: Path, config: OrchestraConfig, *, env: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 session_counts: Callable[[], Mapping[str, int]] | None = None) -> None:
        self._root = root
        self._session_counts = session_counts
        policy = config.runtime_policy
        self._policy = RuntimePolicyView(
            default=policy.defaults.executor,
            by_role={role: choice.executor for role, choice in policy.by_role.items()},
            by_task={task: choice.executor for task, choice in policy.by_task.items()},
        )
        self._env = env
        self._clock = clock

    def infer(self, *, client_name: str | None = None, strict: bool = True) -> Inference:
        """The active runtime: client > fresh session record > fresh record > OPEN_ORCHESTRA_ACTIVE_RUNTIME."""
        return infer_active_runtime(self._root, env=self._environ(), now=self._now(), client_name=client_name,
                                    strict=strict)

    def select(self, *, explicit: str | None = None, task_id: str | None = None, role: str | None = None,
               client_name: str | None = None) -> RuntimeChoice:
        """The executor: explicit > task override > role override > configured default > inference."""
        chosen = select_runtime(self._policy, explicit=explicit, task_id=task_id, role=role,
                                infer=lambda: self.infer(client_name=client_name))
        return RuntimeChoice(runtime=chosen.runtime, source=chosen.source,
                             can_spawn_subagent=get_adapter(chosen.runtime).can_spawn_subagent)

    def status(self, *, client_name: str | None = None, client_version: str | None = None,
               in_call: bool = False) -> RuntimeStatus:
        """Everything at once; never fails on a bad env value or record (they show up as signals)."""
        inference = self.infer(client_name=client_name, strict=False)
        active = _choice(inference.runtime, inference.source)
        try:
            chosen = select_runtime(self._policy, infer=lambda: inference)
            executor = _choice(chosen.runtime, chosen.source)
        except OrchestraError as exc:
            executor = RuntimeChoice(runtime=None, source=None, error=exc.message)
        client = None
        adapters = list(ADAPTERS)
        if in_call:  # a tool result carries what changes between calls; the static table is in the resource
            client = ClientInfo(name=client_name, version=client_version, runtime=client_runtime(client_name))
            adapters = [a for a in ADAPTERS if a.id in (active.runtime, executor.runtime)]
        return RuntimeStatus(
            active=active, executor=executor, client=client,
            signals=[SignalInfo(**s.to_dict()) for s in inference.signals],
            record_path=None if in_call else shared_record_relpath(),
            record_ttl_hours=None if in_call else TTL_SECONDS // 3600,
            adapters=[AdapterInfo.of(a) for a in adapters], next_step=_next_step(executor),
            delegation=self._delegation_counts(),
        )

    def _delegation_counts(self) -> dict[str, int] | None:
        if self._session_counts is None:
            return None
        counts = self._session_counts()
        return {"requested": counts.get("requested", 0), "queued": counts.get("queued", 0),
                "running": counts.get("spawned", 0) + counts.get("active", 0),
                "suspended": counts.get("suspended", 0)}

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def _now(self) -> datetime | None:
        return self._clock() if self._clock else None


def _choice(runtime: str | None, source: str | None) -> RuntimeChoice:
    spawn = get_adapter(runtime).can_spawn_subagent if runtime else None
    return RuntimeChoice(runtime=runtime, source=source, can_spawn_subagent=spawn)


def _next_step(executor: RuntimeChoice) -> str:
    if executor.error:
        return f"Fix runtimePolicy in .agent-workflow/config.json: {executor.error}"
    if executor.runtime is None:
        return "No runtime identified; run `orchestra init --target <runtime>` to install the hook."
    adapter = get_adapter(executor.runtime)
    if not adapter.can_spawn_subagent:
        return (f"{adapter.label} cannot start sub-agents natively; do the work yourself or run the child "
                "prompt in a new session.")
    return adapter.launch
