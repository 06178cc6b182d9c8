"""Tool names by profile, without importing the tool modules (which cost start-up time): settings are
checked against these at start, the tools themselves are registered after `initialize`."""

from __future__ import annotations

from mcp_memory.errors import ConfigError

__all__ = ["ALL_TOOLS", "CORE_TOOLS", "select_tools"]

#: Every tool, in catalogue order (a test checks this against the tool modules).
ALL_TOOLS: tuple[str, ...] = (
    "memory_store", "memory_search", "memory_get", "memory_update", "memory_delete", "memory_recent",
    "memory_similar", "memory_timeline", "memory_context",
    "memory_pin", "memory_unpin", "memory_pins",
    "graph_upsert", "graph_link", "graph_query", "graph_delete", "graph_build",
    "episode_start", "episode_step", "episode_complete", "episode_search", "episode_patterns",
    "memory_batch_store", "memory_batch_tag", "memory_batch_delete",
    "memory_history", "memory_revert",
    "memory_stats", "memory_health", "memory_consolidate", "memory_lifecycle", "memory_export",
    "memory_import", "memory_forget", "memory_reindex",
)  # fmt: skip
#: The memory tools, pins and context, in catalogue order.
CORE_TOOLS: tuple[str, ...] = (
    "memory_store", "memory_search", "memory_get", "memory_update", "memory_delete", "memory_recent",
    "memory_similar", "memory_timeline", "memory_context",
    "memory_pin", "memory_unpin", "memory_pins",
)  # fmt: skip


def select_tools(spec: str) -> list[str]:
    """The tool names a profile (all, core) or a comma-separated list names, in catalogue order."""
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
