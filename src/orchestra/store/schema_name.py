"""PostgreSQL schema names: validated when given, derived from the workspace when not."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from orchestra.errors import ConfigError

_VALID = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_RESERVED_PREFIXES = ("pg_",)
_RESERVED = frozenset({"information_schema", "public"})


def check_schema_name(name: str) -> str:
    """``name`` when it is a plain lower-case identifier of at most 63 characters, not a system schema."""
    if not _VALID.fullmatch(name) or name.startswith(_RESERVED_PREFIXES) or name in _RESERVED:
        raise ConfigError("a PostgreSQL schema name must be 1-63 characters of a-z, 0-9 and _, start with a "
                          "letter or _, and not be public, information_schema or pg_*")
    return name


def workspace_schema(root: Path) -> str:
    """The schema of a local workspace: ``orchestra_<folder name>_<hash of the absolute path>``."""
    resolved = str(root.resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    slug = re.sub(r"[^a-z0-9]+", "_", root.resolve().name.lower()).strip("_")[:30]
    return f"orchestra_{slug}_{digest}" if slug else f"orchestra_{digest}"
