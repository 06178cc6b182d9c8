"""The MCP tools, one module per family; each tool is a thin adapter over a service function.

Kept empty so that `mcp_memory.mcp.names` and `.state` import without the tool modules:
`mcp_memory.mcp.tools.registry` imports those, after `initialize` has been answered.
"""
