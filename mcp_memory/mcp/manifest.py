"""The server's tools/list as JSON: what `tools.json` holds and what `mcp-memory tools --json` prints."""

from __future__ import annotations

from typing import Any

import anyio

from mcp_memory.config import Settings

__all__ = ["tool_list", "tool_reference"]


def tool_list(settings: Settings) -> list[dict[str, Any]]:
    """The tools as a client sees them in tools/list (no database is opened)."""
    from mcp_memory.mcp.server import build_server

    server = build_server(settings, load_model=False)

    async def listing() -> list[dict[str, Any]]:
        tools = await server.list_tools()
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]

    return anyio.run(listing)


def _argument(name: str, schema: dict[str, Any], required: bool) -> str:
    label = f"`{name}`" + ("*" if required else "")
    default = schema.get("default")
    if default is not None and not required:
        label += f" = {default!r}" if not isinstance(default, str) else f' = "{default}"'
    return label


def tool_reference(tools: list[dict[str, Any]]) -> str:
    """A markdown table of the tools (name, what it does, arguments; * marks required ones), as
    README shows it between its tool-reference markers."""
    rows = ["| tool | what it does | arguments (* required) |", "|---|---|---|"]
    for tool in tools:
        schema = tool.get("inputSchema", {})
        required = set(schema.get("required", []))
        arguments = ", ".join(
            _argument(name, sub, name in required) for name, sub in schema.get("properties", {}).items()
        )
        description = " ".join(tool.get("description", "").split()).replace("|", "\\|")
        rows.append(f"| `{tool['name']}` | {description} | {arguments or '-'} |")
    return "\n".join(rows)
