"""Hosted mode: API tokens, OAuth access tokens, principals, per-principal admission and scopes.

Business rules of the hosted layer live here; the HTTP adapter (:mod:`orchestra_mcp.hosted`) only
parses requests and calls these services. Each (tenant, workspace) scope is served by its own
:class:`orchestra.app.Orchestra` (see :mod:`orchestra.hosted.scopes`), so isolation is structural.
"""

from orchestra.hosted.errors import ForbiddenError, RateLimitedError, UnauthorizedError
from orchestra.hosted.principal import Principal, Scope

__all__ = ["ForbiddenError", "Principal", "RateLimitedError", "Scope", "UnauthorizedError"]
