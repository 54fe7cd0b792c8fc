"""One error hierarchy with stable codes, user-safe messages and a retry hint.

Every failure the core reports is an :class:`OrchestraError`. Adapters (MCP, CLI)
render ``code`` and ``message``; they never render tracebacks. Messages must not
contain secrets or absolute paths outside the workspace.
"""

from __future__ import annotations

TYPE_CHECKING = False  # keeps `typing` off the per-prompt hook path; mypy treats this as True
if TYPE_CHECKING:
    from typing import Any, ClassVar


class OrchestraError(Exception):
    """Base error: ``code`` is stable snake_case, ``message`` is safe to show."""

    code: ClassVar[str] = "orchestra_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view for adapters."""
        out: dict[str, Any] = {"code": self.code, "message": self.message, "retryable": self.retryable}
        if self.details:
            out["details"] = self.details
        return out

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationError(OrchestraError):
    """Input failed validation; nothing was changed."""

    code = "invalid_input"


class NotFoundError(OrchestraError):
    """The referenced record does not exist."""

    code = "not_found"


class ConflictError(OrchestraError):
    """The record already exists or the change conflicts with current state."""

    code = "conflict"


class PathOutsideWorkspaceError(ValidationError):
    """A path from input escapes the workspace (absolute, ``..`` or symlink)."""

    code = "path_outside_workspace"


class ConfigError(OrchestraError):
    """``.agent-workflow/config.json`` is unreadable or invalid."""

    code = "config_invalid"


class WorkspaceError(OrchestraError):
    """The workspace root or its ``.agent-workflow/`` folder is unusable."""

    code = "workspace_invalid"


class NotInitializedError(OrchestraError):
    """The workspace holds no Orchestra state yet; reading does not create it, the first write does."""

    code = "not_initialized"


class StoreError(OrchestraError):
    """The state store failed in a way that is not the caller's fault."""

    code = "store_error"


class StoreBusyError(StoreError):
    """Another process held the write lock for longer than the busy timeout."""

    code = "store_busy"
    retryable = True


class DiskFullError(StoreError):
    """The disk (or quota, or file-size limit) has no room; nothing was written."""

    code = "disk_full"
    retryable = True


class StoreUnusableError(StoreError):
    """The state database cannot be used as found (corrupt, emptied, or of an impossible version)."""

    code = "store_unusable"


class ReadOnlyWorkspaceError(StoreError):
    """The workspace is read-only: reads are served, writes are refused."""

    code = "read_only"


class SchemaTooNewError(StoreError):
    """The database was written by a newer version of Orchestra."""

    code = "schema_too_new"


class AuditChainError(OrchestraError):
    """The audit log's hash chain does not verify."""

    code = "audit_chain_broken"


def disk_full_error(exc: BaseException, what: str = "the workspace") -> DiskFullError | None:
    """A :class:`DiskFullError` when ``exc`` is an ``OSError`` meaning "no space", else ``None``."""
    import errno

    codes = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", 122)}
    if isinstance(exc, OSError) and exc.errno in codes:
        return DiskFullError(f"the disk holding {what} is full (or over quota); nothing was written")
    return None


class InternalError(OrchestraError):
    """An unexpected failure; details are in the server log, not here."""

    code = "internal_error"


class UnknownRuntimeError(ValidationError):
    """A runtime id, target or ``OPEN_ORCHESTRA_ACTIVE_RUNTIME`` value is not supported."""

    code = "unknown_runtime"
