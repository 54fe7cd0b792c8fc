"""Fixtures for ledger, budget and provider tests: apps opened with a given config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestra.app import Orchestra

OpenApp = Callable[[dict[str, Any]], Orchestra]
