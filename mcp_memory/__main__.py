"""`python -m mcp_memory` runs the same CLI as the `mcp-memory` command."""

from mcp_memory.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
