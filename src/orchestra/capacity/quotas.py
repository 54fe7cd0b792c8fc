"""Effective quotas per scope level, and the usage counters kept in the same transaction as every lease.

Counters live in ``capacity_usage`` under keys ``p|platform``, ``t|platform|tenant``,
``w|platform|tenant|workspace``, ``tp|platform|tenant|provider`` and
``tr|platform|tenant|runtime``; the provider and runtime caps are counted within the
tenant. Every change to a lease or queue entry updates them in its own transaction,
so a check-then-insert under ``BEGIN IMMEDIATE`` is exact across processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.capacity.model import Scope
from orchestra.store.base import Transaction
from orchestra.workspace.config import CapacityConfig, QuotaPolicy


@dataclass(frozen=True)
class Keys:
    """The counter keys one request touches."""

    platform: str
    tenant: str
    workspace: str
    provider: str | None
    runtime: str | None

    def all(self) -> list[str]:
        """Every key, scope levels first."""
        return [k for k in (self.platform, self.tenant, self.workspace, self.provider, self.runtime) if k]


def keys(scope: Scope, provider: str | None, runtime: str | None) -> Keys:
    """Counter keys of a request."""
    p, t, w = scope.platform_id, scope.tenant_id, scope.workspace_id
    return Keys(platform=f"p|{p}", tenant=f"t|{p}|{t}", workspace=f"w|{p}|{t}|{w}",
                provider=f"tp|{p}|{t}|{provider}" if provider else None,
                runtime=f"tr|{p}|{t}|{runtime}" if runtime else None)


def tenant_policy(config: CapacityConfig, tenant_id: str) -> QuotaPolicy:
    """The tenant quota with the tenant's override applied."""
    return _apply(config.tenant, config.tenants.get(tenant_id))


def workspace_policy(config: CapacityConfig, tenant_id: str, workspace_id: str) -> QuotaPolicy:
    """The workspace quota with the workspace's override applied."""
    return _apply(config.workspace, config.workspaces.get(f"{tenant_id}/{workspace_id}"))


def _apply(base: QuotaPolicy, override: object) -> QuotaPolicy:
    if override is None:
        return base
    changes = {k: v for k, v in override.model_dump().items() if v is not None}  # type: ignore[attr-defined]
    return base.model_copy(update=changes)


@dataclass(frozen=True)
class Limits:
    """The caps one request is checked against, in evaluation order."""

    active: list[tuple[str, str, int]]  # (level, key, max active units)
    queued: list[tuple[str, int]]  # (key, max queued units)


def limits(config: CapacityConfig, scope: Scope, k: Keys) -> Limits:
    """Active caps (platform, tenant, workspace, provider, runtime) and queue caps (platform, tenant, workspace)."""
    tenant = tenant_policy(config, scope.tenant_id)
    space = workspace_policy(config, scope.tenant_id, scope.workspace_id)
    active = [("platform", k.platform, config.platform.max_active), ("tenant", k.tenant, tenant.max_active),
              ("workspace", k.workspace, space.max_active)]
    if k.provider:
        active.append(("provider", k.provider, tenant.max_active_per_provider))
    if k.runtime:
        active.append(("runtime", k.runtime, tenant.max_active_per_runtime))
    queued = [(k.platform, config.platform.max_queued), (k.tenant, tenant.max_queued),
              (k.workspace, space.max_queued)]
    return Limits(active=active, queued=queued)


def usage(tx: Transaction, names: list[str]) -> dict[str, tuple[int, int]]:
    """(active, queued) units per key (missing keys are zero)."""
    if not names:
        return {}
    marks = ", ".join("?" * len(names))
    rows = tx.fetchall(f"SELECT key, active, queued FROM capacity_usage WHERE key IN ({marks})", names)
    found = {str(r["key"]): (int(r["active"]), int(r["queued"])) for r in rows}
    return {name: found.get(name, (0, 0)) for name in names}


def bump(tx: Transaction, names: list[str], *, active: int = 0, queued: int = 0) -> None:
    """Add to the counters of ``names`` (inside the caller's transaction)."""
    for name in names:
        changed = tx.execute("UPDATE capacity_usage SET active = active + ?, queued = queued + ? WHERE key = ?",
                             (active, queued, name))
        if not changed:
            tx.execute("INSERT INTO capacity_usage (key, active, queued) VALUES (?, ?, ?)", (name, active, queued))


def first_active_limit(tx: Transaction, caps: Limits, units: int) -> str | None:
    """The first level whose active units would exceed its cap (None: all fit)."""
    used = usage(tx, [key for _, key, _ in caps.active])
    for level, key, cap in caps.active:
        if used[key][0] + units > cap:
            return level
    return None


def queue_fits(tx: Transaction, caps: Limits, units: int) -> bool:
    """Whether ``units`` more queued units fit at platform, tenant and workspace."""
    used = usage(tx, [key for key, _ in caps.queued])
    return all(used[key][1] + units <= cap for key, cap in caps.queued)
