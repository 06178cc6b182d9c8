"""Interface: the `mcp-memory` command line (parser, commands, terminal output, completion).

Each command is a few lines over one service call. May import the services, storage, embeddings and
the foundations; for `serve` and `tools` it starts or describes the MCP interface
(`mcp_memory.mcp.server`, `mcp_memory.mcp.manifest`) and never calls a tool.
Imported by the console script and `python -m mcp_memory`, so it stays light: commands import what
they need when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mcp-memory` command; returns the exit code. `hook ...` goes straight to
    the client hooks, before the parser and the settings of the other commands are imported: a hook
    runs on every prompt."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hook"]:
        from mcp_memory.hooks.run import main as hook_main

        return hook_main(args[1:])
    from mcp_memory.cli.run import main as run_main

    return run_main(args)
