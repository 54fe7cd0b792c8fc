"""``.agent-workflow/config.json``: the seed's defaults, validated by pydantic.

Keys are camelCase on disk (as the original writes them). Sections this project
models reject unknown keys, so a typo such as ``maxConcurentDelegates`` is an
error naming the key instead of a silently ignored setting; unknown top-level
sections are kept as they are.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from orchestra.errors import ConfigError
from orchestra.media.settings import TranscriptionSettings
from orchestra.workspace.atomic import atomic_write_text

MAX_CONFIG_BYTES = 1_048_576
MAX_CONFIG_DEPTH = 64


class _Section(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class DelegationGuardrails(_Section):
    """Limits on delegated sub-agent sessions (reference §0/§2.2)."""

    max_concurrent_delegates: int = Field(3, ge=1, le=256)
    max_delegation_depth: int = Field(1, ge=0, le=16)
    max_spawns_per_task: int = Field(3, ge=1, le=10_000)
    spawn_budget_tokens: int = Field(6000, ge=0)
    context_budget_tokens: int = Field(3000, ge=0)
    timeout_ms: int = Field(600_000, ge=1000)
    stale_claim_ttl_ms: int = Field(1_800_000, ge=1000)
    allow_nested_delegation: bool = False
    limit_action: Literal["queue", "reject"] = "queue"
    handoff_max_chars: int = Field(4000, ge=100, le=1_000_000)


class Delegation(_Section):
    """How delegation happens: through the runtime's native sub-agent tool."""

    mode: Literal["runtime-native"] = "runtime-native"
    allow_direct_provider_api: bool = False
    guardrails: DelegationGuardrails = Field(default_factory=DelegationGuardrails)


class ExecutorChoice(_Section):
    """Which runtime executes work for a scope."""

    executor: str = Field("generic-runtime", min_length=1, max_length=64)


class RuntimePolicy(_Section):
    """Runtime selection defaults and per-role / per-task overrides."""

    defaults: ExecutorChoice = Field(default_factory=ExecutorChoice)
    by_role: dict[str, ExecutorChoice] = Field(default_factory=dict)
    by_task: dict[str, ExecutorChoice] = Field(default_factory=dict)
    delegation: Delegation = Field(default_factory=Delegation)


class BudgetLimits(_Section):
    """Budget limits; a violation is ``actual > limit`` (equal passes)."""

    max_requests: int | None = Field(None, ge=0)
    max_input_tokens: int | None = Field(None, ge=0)
    max_output_tokens: int | None = Field(None, ge=0)
    max_total_tokens: int | None = Field(None, ge=0)
    max_estimated_cost_usd: Decimal | None = Field(None, ge=0)
    max_retries: int | None = Field(None, ge=0)
    max_runtime_ms: int | None = Field(None, ge=0)
    action: str | None = None


class Budgets(_Section):
    """Budgets applied by default, per role and per task."""

    defaults: BudgetLimits = Field(default_factory=BudgetLimits)
    by_role: dict[str, BudgetLimits] = Field(default_factory=dict)
    by_task: dict[str, BudgetLimits] = Field(default_factory=dict)


class Workflow(_Section):
    """Workflow execution settings."""

    phase_execution_mode: Literal["auto", "manual"] = "auto"


class ProviderDefaults(_Section):
    """The provider used for server-side model calls (``none`` = disabled)."""

    provider: str = Field("none", max_length=64)
    model: str = Field("not-configured", max_length=128)
    fallbacks: list[str] = Field(default_factory=list, max_length=16)
    max_tokens: int = Field(0, ge=0)
    max_cost_usd: Decimal = Field(Decimal(0), ge=0)
    timeout_ms: int = Field(30_000, ge=1)
    retries: int = Field(0, ge=0, le=10)
    required_capabilities: list[str] = Field(default_factory=list, max_length=32)


class Providers(_Section):
    """Provider settings."""

    defaults: ProviderDefaults = Field(default_factory=ProviderDefaults)
    link_local_allowlist: list[str] = Field(
        default_factory=list, max_length=32,
        description="Link-local addresses or networks (169.254.0.0/16, fe80::/10) an internal provider such as "
                    "Ollama may use; every other link-local address is refused. Metadata endpoints never pass.")

    @field_validator("link_local_allowlist")
    @classmethod
    def _link_local_only(cls, value: list[str]) -> list[str]:
        from orchestra.security.egress import parse_link_local_allowlist

        parse_link_local_allowlist(value)  # raises ValueError naming the entry
        return value


ToolGroup = Literal["core", "chat", "ledger", "security", "media", "compliance"]
TOOL_GROUPS: tuple[str, ...] = ("core", "chat", "ledger", "security", "media", "compliance")


def _default_tool_groups() -> list[ToolGroup]:
    return ["core"]


class McpSettings(_Section):
    """What the MCP server exposes. Every tool schema costs context tokens in every host, so the optional
    groups (chat, ledger, compliance) are opt-in; ``core`` (workspace, tasks, runtime, delegation, context) is
    always on."""

    tool_groups: list[ToolGroup] = Field(default_factory=_default_tool_groups, max_length=8)


_SCOPE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$"


class QuotaPolicy(_Section):
    """Quotas of one scope level (reference §7 ``DEFAULT_RUNTIME_QUOTA_POLICY``)."""

    max_active: int = Field(3, ge=1, le=1_000_000)
    max_queued: int = Field(25, ge=0, le=10_000_000)
    max_active_per_provider: int = Field(2, ge=1, le=1_000_000)
    max_active_per_runtime: int = Field(3, ge=1, le=1_000_000)
    limit_action: Literal["queue", "reject"] = "queue"
    queue_ttl_ms: int = Field(30_000, ge=1000)


class QuotaOverride(_Section):
    """Per-tenant or per-workspace changes to a :class:`QuotaPolicy` (unset keys inherit)."""

    max_active: int | None = Field(None, ge=1, le=1_000_000)
    max_queued: int | None = Field(None, ge=0, le=10_000_000)
    max_active_per_provider: int | None = Field(None, ge=1, le=1_000_000)
    max_active_per_runtime: int | None = Field(None, ge=1, le=1_000_000)
    limit_action: Literal["queue", "reject"] | None = None
    queue_ttl_ms: int | None = Field(None, ge=1000)


class CapacityScopeIds(_Section):
    """The scope a request falls in when it names none (local mode only)."""

    platform_id: str = Field("local", pattern=_SCOPE_ID)
    tenant_id: str = Field("local", pattern=_SCOPE_ID)
    workspace_id: str = Field("local-workspace", pattern=_SCOPE_ID)


class CapacityConfig(_Section):
    """The capacity scheduler: mode, default scope, lease TTL and quotas per scope level.

    ``tenants`` is keyed by tenant id, ``workspaces`` by ``"<tenant id>/<workspace id>"``.
    """

    mode: Literal["local", "saas"] = "local"
    default_scope: CapacityScopeIds = Field(default_factory=CapacityScopeIds)
    lease_ttl_ms: int = Field(30_000, ge=1000)
    platform: QuotaPolicy = Field(default_factory=QuotaPolicy)
    tenant: QuotaPolicy = Field(default_factory=QuotaPolicy)
    workspace: QuotaPolicy = Field(default_factory=QuotaPolicy)
    tenants: dict[str, QuotaOverride] = Field(default_factory=dict)
    workspaces: dict[str, QuotaOverride] = Field(default_factory=dict)


class TaskPolicy(_Section):
    """How tasks follow their sessions, what a spawn on a task with open dependencies does, the default role."""

    on_complete: Literal["review", "done"] = "review"
    """Where a task goes when all its sessions finished and the last one completed."""
    unmet_dependencies: Literal["queue", "reject"] = "reject"
    """A spawn on a task whose dependencies are not done: queued until they are, or rejected."""
    default_role: str = Field("developer", pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    """The role a spawn or context bundle uses when neither the call nor the task names one."""


PolicyOutcome = Literal["allow", "ask", "deny"]


class ToolPolicyActions(_Section):
    """allow/ask/deny per rule family of the point-of-action guard (``orchestra hook pre-tool``)."""

    exfiltration: PolicyOutcome = "deny"
    protected_path: PolicyOutcome = "deny"
    out_of_scope_write: PolicyOutcome = "deny"
    destructive: PolicyOutcome = "ask"
    force_push: PolicyOutcome = "ask"
    publish: PolicyOutcome = "ask"
    remote_script: PolicyOutcome = "ask"
    operator_command: PolicyOutcome = "deny"
    """An agent running the CLI's person-only commands (``orchestra approve``, fragment restore/grant/shred,
    key rotation, API tokens): a model must never approve or authorise its own request."""


class ToolPolicyOverrides(_Section):
    """A delegated child's per-role changes to :class:`ToolPolicyActions` (unset keys inherit)."""

    exfiltration: PolicyOutcome | None = None
    protected_path: PolicyOutcome | None = None
    out_of_scope_write: PolicyOutcome | None = None
    destructive: PolicyOutcome | None = None
    force_push: PolicyOutcome | None = None
    publish: PolicyOutcome | None = None
    remote_script: PolicyOutcome | None = None
    operator_command: PolicyOutcome | None = None


class ToolPolicySettings(_Section):
    """``security.toolPolicy``: what the pre-tool-use hook allows, asks about or denies. The hook reads this
    section with the standard library (:mod:`orchestra.toolpolicy.config`); a test keeps both in step."""

    enabled: bool = True
    actions: ToolPolicyActions = Field(default_factory=ToolPolicyActions)
    roles: dict[str, ToolPolicyOverrides] = Field(default_factory=dict, max_length=256)
    protected_paths: list[str] = Field(default_factory=list, max_length=256)
    """Extra paths no agent reads or writes (``.agent-workflow/keys`` and the state database always are)."""
    allowed_commands: list[str] = Field(default_factory=list, max_length=256)
    """Command prefixes the execution-risk rules never question (exfiltration and protected paths still apply)."""
    mcp_servers: list[str] = Field(default_factory=lambda: ["orchestra"], max_length=256)
    """MCP servers trusted with restricted data in their arguments."""
    scratch_paths: list[str] = Field(default_factory=lambda: ["/tmp", "/var/tmp"], max_length=256)
    """Folders outside the workspace that a child may write and a removal there is not questioned."""
    on_error: Literal["allow", "deny"] = "allow"
    """What a guard error decides: fail open (``allow``) or closed (``deny``)."""

    @field_validator("protected_paths", "allowed_commands", "mcp_servers", "scratch_paths")
    @classmethod
    def _entries(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip() or len(item) > 1024 or "\x00" in item:
                raise ValueError("entries are non-empty strings of at most 1024 characters")
        return [item.strip() for item in value]

    @field_validator("roles")
    @classmethod
    def _role_names(cls, value: dict[str, ToolPolicyOverrides]) -> dict[str, ToolPolicyOverrides]:
        if any(not 1 <= len(role) <= 64 for role in value):
            raise ValueError("role names are 1-64 characters")
        return value


class SecuritySettings(_Section):
    """Security settings of the workspace."""

    tool_policy: ToolPolicySettings = Field(default_factory=ToolPolicySettings)


ApprovalActionName = Literal["chat_delete", "fragment_shred", "spawn_over_budget", "provider_egress_quarantine"]


def _default_approval_actions() -> list[ApprovalActionName]:
    return ["chat_delete", "fragment_shred", "spawn_over_budget", "provider_egress_quarantine"]


class ApprovalSettings(_Section):
    """Which operations an MCP caller may run only after a person approved them (docs/approvals.md).

    ``chat_delete`` and ``fragment_shred`` (destructive), ``spawn_over_budget`` (a spawn for a task whose
    recorded usage is past a configured budget), ``provider_egress_quarantine`` (a provider call the guard
    quarantined, e.g. shell or SQL text). The CLI acts as the person at the terminal and is not gated."""

    actions: list[ApprovalActionName] = Field(default_factory=_default_approval_actions, max_length=8)
    expiry_minutes: int = Field(15, ge=1, le=1440)
    """How long a pending request waits for a person, and how long a grant may then be used."""
    elicitation: bool = True
    """Ask through MCP elicitation when the client supports it (off: only `orchestra approve`)."""
    elicitation_timeout_s: int = Field(300, ge=5, le=3600)
    """How long to wait for the client's answer before leaving the request to the CLI."""


class OrchestraConfig(BaseModel):
    """The whole config file. Unknown top-level sections are preserved."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    runtime_policy: RuntimePolicy = Field(default_factory=RuntimePolicy)
    budgets: Budgets = Field(default_factory=Budgets)
    workflow: Workflow = Field(default_factory=Workflow)
    providers: Providers = Field(default_factory=Providers)
    mcp: McpSettings = Field(default_factory=McpSettings)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    tasks: TaskPolicy = Field(default_factory=TaskPolicy)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)

    def to_json(self) -> str:
        """The file form: camelCase keys, two-space indent, trailing newline."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_config(path: Path) -> OrchestraConfig:
    """Read and validate ``path``; a missing file means the defaults."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return OrchestraConfig()
    except OSError as exc:
        raise ConfigError(f"config.json cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config.json is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        depth = json_depth(text)
        if depth > MAX_CONFIG_DEPTH:
            raise ConfigError(f"config.json nests deeper than {MAX_CONFIG_DEPTH} levels")
        data: Any = json.loads(text)
    except RecursionError:
        raise ConfigError(f"config.json nests deeper than {MAX_CONFIG_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ConfigError(f"config.json is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise ConfigError("config.json must contain a JSON object")
    try:
        return OrchestraConfig.model_validate(data)
    except PydanticValidationError as exc:
        raise ConfigError(_describe(exc), details={"errors": _error_list(exc)}) from None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped), without recursion."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def write_default_config(path: Path) -> bool:
    """Write the default config if none exists; return whether a file was written."""
    if path.exists():
        return False
    atomic_write_text(path, OrchestraConfig().to_json())
    return True


def _error_list(exc: PydanticValidationError) -> list[dict[str, str]]:
    return [
        {"key": ".".join(str(part) for part in err["loc"]), "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _describe(exc: PydanticValidationError) -> str:
    errors = _error_list(exc)
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"config.json key '{first['key']}': {first['problem']}{more}"
