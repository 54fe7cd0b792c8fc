"""Delegation guardrails, evaluated inside the admitting transaction.

Policy reasons (nested delegation, depth) always reject: waiting cannot fix them.
Capacity reasons (the workspace-wide concurrency limit, the per-task limit) follow
``limitAction`` (queue or reject). Counts cover every task and every process,
because they are read inside the same ``BEGIN IMMEDIATE`` transaction that inserts.
"""

from __future__ import annotations

from orchestra.delegation import repository as repo
from orchestra.delegation.model import GuardrailReport
from orchestra.store.base import Transaction
from orchestra.workspace.config import DelegationGuardrails


def policy_reasons(policy: DelegationGuardrails, depth: int) -> list[str]:
    """Reasons no amount of waiting fixes (checked before any work, and again in the transaction)."""
    reasons: list[str] = []
    if not policy.allow_nested_delegation and depth > 0:
        reasons.append("nested delegation requires explicit policy approval")
    if depth > policy.max_delegation_depth:
        reasons.append(f"delegation depth {depth} exceeds max {policy.max_delegation_depth}")
    return reasons


def evaluate(tx: Transaction, policy: DelegationGuardrails, task_id: str, depth: int) -> GuardrailReport:
    """allow / queue / reject for one more session of ``task_id``."""
    hard = policy_reasons(policy, depth)
    active, task_active = repo.reserving_counts(tx, task_id)
    queued = repo.queued_count(tx)
    capacity: list[str] = []
    if active + 1 > policy.max_concurrent_delegates:
        capacity.append(f"active delegates {active} plus requested 1 exceed max concurrent "
                        f"{policy.max_concurrent_delegates}")
    if task_active + 1 > policy.max_spawns_per_task:
        capacity.append(f"task {task_id} has {task_active} active delegates; max per task is "
                        f"{policy.max_spawns_per_task}")
    if hard:
        decision = "reject"
    elif capacity:
        decision = policy.limit_action
    else:
        decision = "allow"
    return GuardrailReport(
        decision=decision, reasons=hard + capacity, active_sessions=active, task_active_sessions=task_active,
        max_concurrent_delegates=policy.max_concurrent_delegates, max_spawns_per_task=policy.max_spawns_per_task,
        max_delegation_depth=policy.max_delegation_depth, depth=depth, queued=queued,
    )
