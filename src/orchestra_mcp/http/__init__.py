"""Streamable HTTP transport: ``orchestra-mcp --transport http`` / ``orchestra serve --http``.

- :mod:`.settings`: :class:`~.settings.HttpSettings`, validation, the loopback-or-auth rule
  (:func:`~.settings.auth_configured`, :func:`~.settings.check_bind`);
- :mod:`.app`: :func:`~.app.build_http_app` (one MCP server) and :class:`~.app.TransportApp` (any ASGI app,
  e.g. hosted mode's dispatcher) with the transport's layers and the ``extra_middleware`` seam;
- :mod:`.hosts` (Host/Origin), :mod:`.limits` (concurrency, body), :mod:`.timeouts` (request deadline);
- :mod:`.serve`: :func:`~.serve.bind` and :func:`~.serve.serve_http` (uvicorn, graceful shutdown).
"""
