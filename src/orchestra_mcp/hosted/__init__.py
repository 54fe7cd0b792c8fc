"""The hosted HTTP adapter: authentication, admission, and dispatch to each scope's MCP server.

Business rules (tokens, principals, limits, scopes) live in :mod:`orchestra.hosted`; this package
parses HTTP, calls those services and hands the request to the scope's streamable-HTTP session
manager.
"""
