"""The MCP tools, one module per family; each tool is a thin adapter over a service function."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from mcp_memory.tools import memories

__all__ = ["register_tools"]


def register_tools(server: MCPServer[Any]) -> list[str]:
    """Register every tool family on `server`; returns the tool names in order."""
    return memories.register(server)
