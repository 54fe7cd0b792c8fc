"""Orchestra's MCP server: thin adapters from MCP tools and resources to core services."""
