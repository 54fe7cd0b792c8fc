"""Orchestra core library: governed sub-agent delegation, independent of MCP."""

__version__ = "0.1.0"
