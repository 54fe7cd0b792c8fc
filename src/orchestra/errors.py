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


class SchemaTooNewError(StoreError):
    """The database was written by a newer version of Orchestra."""

    code = "schema_too_new"


class AuditChainError(OrchestraError):
    """The audit log's hash chain does not verify."""

    code = "audit_chain_broken"


class InternalError(OrchestraError):
    """An unexpected failure; details are in the server log, not here."""

    code = "internal_error"


class UnknownRuntimeError(ValidationError):
    """A runtime id, target or ``OPEN_ORCHESTRA_ACTIVE_RUNTIME`` value is not supported."""

    code = "unknown_runtime"
