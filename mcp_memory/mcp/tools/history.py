"""History tools: memory_history, memory_revert."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import MemoryId
from mcp_memory.services.memories import history
from mcp_memory.views.history import HistoryOutput, history_view, revert_view
from mcp_memory.views.models import MemoryBrief

__all__ = ["TOOLS"]


async def memory_history(ctx: Context, id: MemoryId) -> Annotated[CallToolResult, HistoryOutput]:
    """Every version of a memory, newest first (the current one, then each earlier state with what
    replaced it and which fields changed). Works for deleted memories too."""
    app = await app_from(ctx)
    with user_errors():
        result = await history.memory_history(app, id)
    return respond(*history_view(result))


async def memory_revert(
    ctx: Context,
    id: MemoryId,
    version: Annotated[int, Field(ge=1, description="The version to restore (memory_history lists them).")],
) -> Annotated[CallToolResult, MemoryBrief]:
    """Restore an earlier version as a new version (nothing is lost). Reverting a deleted memory
    brings it back."""
    app = await app_from(ctx)
    with user_errors():
        memory = await history.revert_memory(app, id, version)
    return respond(*revert_view(memory, version))


TOOLS: tuple[ToolEntry, ...] = (
    (memory_history, "Memory history", READ_ONLY),
    (
        memory_revert,
        "Revert a memory",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
        ),
    ),
)
