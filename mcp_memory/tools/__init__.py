"""The MCP tools, one module per family; each tool is a thin adapter over a service function.

`MCP_MEMORY_TOOLS` chooses which are registered: `all` (default), `core` (the memory tools, pins and
context), or a comma-separated list of names. Every tool definition costs the agent context.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from mcp_memory.errors import ConfigError
from mcp_memory.tools import batch, browse, episodes, graph, history, maintenance, memories, pins
from mcp_memory.tools._common import register_family

__all__ = ["ALL_TOOLS", "CORE_TOOLS", "register_tools", "select_tools"]

_FAMILIES = (memories, browse, pins, graph, episodes, batch, history, maintenance)
ALL_TOOLS: tuple[str, ...] = tuple(entry[0].__name__ for family in _FAMILIES for entry in family.TOOLS)
CORE_TOOLS: tuple[str, ...] = tuple(
    entry[0].__name__ for family in (memories, browse, pins) for entry in family.TOOLS
)


def select_tools(spec: str) -> list[str]:
    """The tool names a profile or list names, in catalogue order."""
    value = spec.strip().lower()
    if value in ("", "all"):
        return list(ALL_TOOLS)
    if value == "core":
        return list(CORE_TOOLS)
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(ALL_TOOLS))
    if unknown:
        raise ConfigError(
            f"MCP_MEMORY_TOOLS names unknown tool(s) {unknown}; use all, core, or names from: {', '.join(ALL_TOOLS)}."
        )
    return [name for name in ALL_TOOLS if name in names]


def register_tools(server: MCPServer[Any], spec: str = "all") -> list[str]:
    """Register the selected tools on `server`; returns their names."""
    names = select_tools(spec)
    for family in _FAMILIES:
        register_family(server, family.TOOLS, set(names))
    return names
