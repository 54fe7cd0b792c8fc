"""Printing helpers shared by commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def print_json(value: Any) -> None:
    """Pretty JSON on stdout (pydantic models are dumped in JSON mode)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    from orchestra.text import json_terminal_safe

    sys.stdout.write(json_terminal_safe(json.dumps(value, indent=2, ensure_ascii=False)) + "\n")


def open_app(args: argparse.Namespace) -> Any:
    """The workspace named by ``--workspace`` or discovered from the environment, creating nothing:
    reads of an uninitialized folder fail with ``not_initialized``; the first write creates the state."""
    from orchestra.app import Orchestra
    from orchestra.workspace.root import discover_root

    return Orchestra.attach(discover_root(getattr(args, "workspace", None)).root)
