"""Shared inputs for ledger tests."""

from __future__ import annotations

from typing import Any


def call(task_id: str = "T-1", role: str = "developer", **extra: Any) -> dict[str, Any]:
    """A minimal valid provenance input."""
    base: dict[str, Any] = {"task_id": task_id, "role": role, "provider": "ollama", "model": "llama3.1:8b",
                            "prompt_id": "p-1", "response_id": "r-1", "finish_reason": "stop"}
    return {**base, **extra}
