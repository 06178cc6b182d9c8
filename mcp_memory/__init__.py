"""mcp-memory: long-term memory for AI coding agents, served over MCP stdio from one SQLite file."""

__version__ = "0.1.0"

__all__ = ["__version__"]
