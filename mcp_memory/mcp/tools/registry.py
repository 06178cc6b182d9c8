"""Registering the MCP tools, one module per family; each tool is a thin adapter over a service function.

Importing this package imports every tool module; the server does it after `initialize` (see
`mcp_memory.mcp.server`). `MCP_MEMORY_TOOLS` chooses which are registered: `all` (default), `core` (the memory tools, pins and
context), or a comma-separated list of names. Every tool definition costs the agent context.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from mcp_memory.mcp.names import select_tools
from mcp_memory.mcp.tools import batch, browse, episodes, graph, history, maintenance, memories, pins
from mcp_memory.mcp.tools._common import register_family

__all__ = ["FAMILY_TOOLS", "register_tools"]

_FAMILIES = (memories, browse, pins, graph, episodes, batch, history, maintenance)
#: The tool names each module defines, in order (tests compare them with `names.ALL_TOOLS`).
FAMILY_TOOLS: tuple[str, ...] = tuple(entry[0].__name__ for family in _FAMILIES for entry in family.TOOLS)


def register_tools(server: MCPServer[Any], spec: str = "all") -> list[str]:
    """Register the selected tools on `server`; returns their names."""
    names = select_tools(spec)
    for family in _FAMILIES:
        register_family(server, family.TOOLS, set(names))
    return names
