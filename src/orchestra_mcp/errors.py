"""Mapping core errors to tool errors a model can read.

The SDK hides the message of any exception that is not a ``ToolError``, so every
tool body runs inside :func:`tool_errors`: an :class:`OrchestraError` becomes a
``ToolError`` whose text starts with the stable code; anything else is logged
(with its traceback, on stderr) and reported as ``internal_error`` without detail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from orchestra.errors import NotFoundError, OrchestraError, disk_full_error

log = logging.getLogger("orchestra_mcp")


def format_error(error: OrchestraError) -> str:
    """``"<code>: <message> (retryable)"`` — what the model sees."""
    hint = " (retryable: try again shortly)" if error.retryable else ""
    return f"{error.code}: {error.message}{hint}"


@contextmanager
def tool_errors(tool: str) -> Iterator[None]:
    """Translate exceptions raised inside a tool body."""
    try:
        yield
    except ToolError:
        raise
    except OrchestraError as exc:
        raise ToolError(format_error(exc)) from None
    except OSError as exc:
        full = disk_full_error(exc)
        if full is not None:
            raise ToolError(format_error(full)) from None
        log.exception("unexpected failure in tool %s", tool)
        raise ToolError("internal_error: the server failed unexpectedly; details are in its log") from None
    except Exception:
        log.exception("unexpected failure in tool %s", tool)
        raise ToolError("internal_error: the server failed unexpectedly; details are in its log") from None


@contextmanager
def resource_errors(uri: str) -> Iterator[None]:
    """Translate exceptions raised while reading a resource (not found → -32602, others → -32603)."""
    try:
        yield
    except NotFoundError as exc:
        raise ResourceNotFoundError(format_error(exc)) from None
    except OrchestraError as exc:
        raise ResourceError(format_error(exc)) from None
    except Exception:
        log.exception("unexpected failure reading resource %s", uri)
        raise ResourceError("internal_error: the server failed unexpectedly; details are in its log") from None
