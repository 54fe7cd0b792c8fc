"""``python -m orchestra_mcp.hosted``."""

from orchestra_mcp.hosted.serve import main

raise SystemExit(main())
