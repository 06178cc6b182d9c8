"""Interface: the `mcp-memory` command line (parser, commands, terminal output, completion).

Each command is a few lines over one service call. May import the services, storage, embeddings and
the foundations; for `serve` and `tools` it starts or describes the MCP interface
(`mcp_memory.mcp.server`, `mcp_memory.mcp.manifest`) and never calls a tool.
Imported by the console script and `python -m mcp_memory`, so it stays light: commands import what
they need when they run.
"""

from mcp_memory.cli.run import main

__all__ = ["main"]
