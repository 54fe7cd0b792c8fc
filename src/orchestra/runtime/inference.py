"""Which runtime is active, and which one executes work for a task.

Selection (``select_runtime``): explicit choice > ``byTask`` > ``byRole`` > a configured
``defaults.executor``; only when the default is ``generic-runtime`` (i.e. not configured)
does inference run. Inference (``infer_active_runtime``): the MCP client's
``clientInfo.name`` (inside an MCP call) > fresh session record > fresh shared record >
``OPEN_ORCHESTRA_ACTIVE_RUNTIME`` (final fallback). Every signal is reported, with the
one that decided. No ``typing``/``dataclasses`` at run time (per-prompt hook path).
"""

from __future__ import annotations

import os

from orchestra.errors import UnknownRuntimeError
from orchestra.runtime.adapters import DEFAULT_RUNTIME, get_adapter, runtime_from_name
from orchestra.runtime.record import ActiveRuntimeRecord, read_active_runtime, session_id_from_env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime
    from typing import Any

    from orchestra.runtime.record import StrPath

ACTIVE_RUNTIME_ENV = "OPEN_ORCHESTRA_ACTIVE_RUNTIME"

CLIENT_NAMES: dict[str, str] = {
    "claude-code": "claude-cli",
    "cursor-vscode": "cursor-cli",
    "codex-mcp-client": "codex-cli",
    "Visual Studio Code": "vscode-agent",
    "Visual Studio Code - Insiders": "vscode-agent",
    "windsurf-client": "windsurf-agent",
    "opencode": "opencode-cli",
}
_CLIENT_HINTS: tuple[tuple[str, str], ...] = (
    ("cursor", "cursor-cli"),
    ("codex", "codex-cli"),
    ("windsurf", "windsurf-agent"),
    ("cascade", "windsurf-agent"),
    ("claude-code", "claude-cli"),
    ("opencode", "opencode-cli"),
    ("visual studio code", "vscode-agent"),
    ("vscode", "vscode-agent"),
)


class Signal:
    """One piece of evidence about the active runtime.

    ``name``: ``client``, ``session-record``, ``record`` or ``env``. ``status``: ``used``,
    ``available`` (valid, but a stronger signal decided), ``absent``, ``unrecognized``,
    ``invalid``, or a record status (``missing``, ``corrupted``, ``stale``).
    """

    __slots__ = ("detail", "name", "runtime", "status", "value")

    def __init__(self, name: str, status: str, runtime: str | None = None, value: str | None = None,
                 detail: str | None = None) -> None:
        self.name = name
        self.status = status
        self.runtime = runtime
        self.value = value
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "runtime": self.runtime,
                "value": self.value, "detail": self.detail}

    def __repr__(self) -> str:
        return f"Signal({self.to_dict()!r})"


class Inference:
    """The inferred active runtime (``None`` when nothing says) and the signal that decided."""

    __slots__ = ("runtime", "signals", "source")

    def __init__(self, runtime: str | None, source: str | None, signals: tuple[Signal, ...] = ()) -> None:
        self.runtime = runtime
        self.source = source
        self.signals = signals


class RuntimePolicyView:
    """``runtimePolicy`` reduced to executor ids (built from config.json or the pydantic config)."""

    __slots__ = ("by_role", "by_task", "default")

    def __init__(self, default: str = DEFAULT_RUNTIME, by_role: Mapping[str, str] | None = None,
                 by_task: Mapping[str, str] | None = None) -> None:
        self.default = default
        self.by_role: Mapping[str, str] = by_role or {}
        self.by_task: Mapping[str, str] = by_task or {}

    @classmethod
    def from_json(cls, config: object) -> RuntimePolicyView:
        """Read ``runtimePolicy`` from a parsed config.json, ignoring malformed parts."""
        policy = config.get("runtimePolicy") if isinstance(config, dict) else None
        if not isinstance(policy, dict):
            return cls()
        default = _executor(policy.get("defaults")) or DEFAULT_RUNTIME
        return cls(default, _executors(policy.get("byRole")), _executors(policy.get("byTask")))


class Selection:
    """The runtime that executes work, and why (``explicit|task|role|default`` or an inference signal)."""

    __slots__ = ("inference", "runtime", "source")

    def __init__(self, runtime: str, source: str, inference: Inference | None = None) -> None:
        self.runtime = runtime
        self.source = source
        self.inference = inference


def client_runtime(client_name: str | None) -> str | None:
    """Map an MCP ``clientInfo.name`` to a runtime id (``claude-code`` → ``claude-cli``), or ``None``."""
    if not client_name:
        return None
    if client_name in CLIENT_NAMES:
        return CLIENT_NAMES[client_name]
    lowered = client_name.lower()
    return next((runtime for hint, runtime in _CLIENT_HINTS if hint in lowered), None)


def env_runtime(value: str) -> str:
    """Map an ``OPEN_ORCHESTRA_ACTIVE_RUNTIME`` value (id or target) or raise the original's message."""
    runtime = runtime_from_name(value)
    if runtime is None:
        shown = value.strip()[:64]
        raise UnknownRuntimeError(
            f"unknown active runtime from {ACTIVE_RUNTIME_ENV}: {shown}. "
            "Use --runtime or runtimePolicy.defaults.executor"
        )
    return runtime


def infer_active_runtime(
    root: StrPath,
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    client_name: str | None = None,
    strict: bool = True,
) -> Inference:
    """Walk the signals in order; ``strict`` raises on an unknown env value when it is reached."""
    environ = os.environ if env is None else env
    signals: list[Signal] = []
    if client_name is not None:
        runtime = client_runtime(client_name)
        signals.append(Signal("client", "available" if runtime else "unrecognized", runtime, client_name[:128]))
    session_id = session_id_from_env(None, environ)
    if session_id:
        found = read_active_runtime(root, now=now, session_id=session_id)
        signals.append(_record_signal("session-record", found.status, found.record, found.path, found.reason))
    shared = read_active_runtime(root, now=now)
    signals.append(_record_signal("record", shared.status, shared.record, shared.path, shared.reason))
    raw = environ.get(ACTIVE_RUNTIME_ENV, "")
    env_error: UnknownRuntimeError | None = None
    if raw.strip():
        try:
            signals.append(Signal("env", "available", env_runtime(raw), raw.strip()[:64]))
        except UnknownRuntimeError as exc:
            env_error = exc
            signals.append(Signal("env", "invalid", None, raw.strip()[:64], exc.message))
    else:
        signals.append(Signal("env", "absent"))
    for index, signal in enumerate(signals):
        if signal.status == "available":
            signals[index] = Signal(signal.name, "used", signal.runtime, signal.value, signal.detail)
            return Inference(signal.runtime, signal.name, tuple(signals))
        if signal.name == "env" and env_error is not None and strict:
            raise env_error
    return Inference(None, None, tuple(signals))


def select_runtime(
    policy: RuntimePolicyView,
    *,
    explicit: str | None = None,
    task_id: str | None = None,
    role: str | None = None,
    infer: Callable[[], Inference] | None = None,
) -> Selection:
    """Pick the executor: explicit > task > role > configured default > inference > ``generic-runtime``."""
    if explicit:
        return Selection(get_adapter(explicit.strip()).id, "explicit")
    if task_id and task_id in policy.by_task:
        return Selection(_checked(policy.by_task[task_id], f"runtimePolicy.byTask.{task_id}"), "task")
    if role and role in policy.by_role:
        return Selection(_checked(policy.by_role[role], f"runtimePolicy.byRole.{role}"), "role")
    default = _checked(policy.default, "runtimePolicy.defaults.executor")
    if default != DEFAULT_RUNTIME or infer is None:
        return Selection(default, "default")
    inference = infer()
    if inference.runtime is not None and inference.source is not None:
        return Selection(inference.runtime, inference.source, inference)
    return Selection(default, "default", inference)


def _record_signal(name: str, status: str, record: ActiveRuntimeRecord | None, path: str,
                   reason: str | None) -> Signal:
    runtime = record.runtime if record is not None else None
    if status == "fresh" and record is not None:
        return Signal(name, "available", runtime, path, f"updated {record.updated_at}")
    return Signal(name, status, runtime, path, reason)


def _checked(runtime: str, where: str) -> str:
    try:
        return get_adapter(runtime).id
    except UnknownRuntimeError as exc:
        raise UnknownRuntimeError(f"{where}: {exc.message}", details=exc.details) from None


def _executor(section: object) -> str | None:
    if isinstance(section, dict):
        value = section.get("executor")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _executors(mapping: object) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(key): value for key, section in mapping.items() if (value := _executor(section))}
