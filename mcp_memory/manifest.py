"""The server's tools/list as JSON: what `tools.json` holds and what `mcp-memory tools --json` prints."""

from __future__ import annotations

from typing import Any

import anyio

from mcp_memory.config import Settings

__all__ = ["tool_list"]


def tool_list(settings: Settings) -> list[dict[str, Any]]:
    """The tools as a client sees them in tools/list (no database is opened)."""
    from mcp_memory.server import build_server

    server = build_server(settings, load_model=False)

    async def listing() -> list[dict[str, Any]]:
        tools = await server.list_tools()
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]

    return anyio.run(listing)
