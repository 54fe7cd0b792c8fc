"""Bundle budgets: defaults, environment overrides and per-call overrides, all bounded."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from orchestra.errors import ValidationError

DEFAULT_MAX_LINES_PER_FILE = 80
DEFAULT_TOTAL_LINE_BUDGET = 360
MAX_LINES_PER_FILE_LIMIT = 2000
TOTAL_LINE_BUDGET_LIMIT = 20_000
ENV_MAX_LINES_PER_FILE = "OPEN_ORCHESTRA_RUNTIME_CONTEXT_MAX_LINES_PER_FILE"
ENV_TOTAL_LINE_BUDGET = "OPEN_ORCHESTRA_RUNTIME_CONTEXT_TOTAL_LINE_BUDGET"
_LEADING_INT = re.compile(r"^\s*\+?(\d+)")


@dataclass(frozen=True)
class BundleConfig:
    """Line budgets for one bundle."""

    max_lines_per_file: int = DEFAULT_MAX_LINES_PER_FILE
    total_line_budget: int = DEFAULT_TOTAL_LINE_BUDGET


def resolve_config(
    env: Mapping[str, str] | None = None,
    *,
    max_lines_per_file: int | None = None,
    total_line_budget: int | None = None,
) -> tuple[BundleConfig, list[str]]:
    """Budgets from call overrides, then the environment, then defaults; returns warnings for bad env values."""
    environ = os.environ if env is None else env
    warnings: list[str] = []
    per_file = _from_env(environ, ENV_MAX_LINES_PER_FILE, DEFAULT_MAX_LINES_PER_FILE,
                         MAX_LINES_PER_FILE_LIMIT, warnings)
    total = _from_env(environ, ENV_TOTAL_LINE_BUDGET, DEFAULT_TOTAL_LINE_BUDGET, TOTAL_LINE_BUDGET_LIMIT, warnings)
    if max_lines_per_file is not None:
        per_file = _bounded("max_lines_per_file", max_lines_per_file, MAX_LINES_PER_FILE_LIMIT)
    if total_line_budget is not None:
        total = _bounded("total_line_budget", total_line_budget, TOTAL_LINE_BUDGET_LIMIT)
    return BundleConfig(per_file, total), warnings


def _bounded(name: str, value: int, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ValidationError(f"{name} must be an integer from 1 to {limit}")
    return value


def _from_env(env: Mapping[str, str], name: str, default: int, limit: int, warnings: list[str]) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    match = _LEADING_INT.match(raw)
    value = int(match.group(1)) if match else 0
    if value <= 0:
        warnings.append(f"{name}={raw[:40]!r} is not a positive integer; using the default {default}")
        return default
    if value > limit:
        warnings.append(f"{name}={value} exceeds {limit}; using {limit}")
        return limit
    if match and match.group(0).strip() != raw.strip():
        warnings.append(f"{name}={raw[:40]!r} read as {value}")
    return value
