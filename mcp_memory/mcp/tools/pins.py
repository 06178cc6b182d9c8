"""Pin tools: memory_pin, memory_unpin, memory_pins."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_memory.limits import MAX_PIN_NOTE
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import MemoryId, Project
from mcp_memory.services.memories import pins
from mcp_memory.views.models import MemoriesOutput, MemoryBrief, pin_view, pins_view

__all__ = ["TOOLS"]


async def memory_pin(
    ctx: Context,
    id: MemoryId,
    note: Annotated[str | None, Field(max_length=MAX_PIN_NOTE, description="Why it is pinned.")] = None,
) -> Annotated[CallToolResult, MemoryBrief]:
    """Pin a memory: it comes first in memory_context and is never expired or merged away. For rules
    that must always apply."""
    app = await app_from(ctx)
    with user_errors():
        memory = await pins.set_pinned(app, id, True, note)
    return respond(*pin_view(memory))


async def memory_unpin(ctx: Context, id: MemoryId) -> Annotated[CallToolResult, MemoryBrief]:
    """Unpin a memory: it stays stored but no longer leads memory_context and may expire or be merged."""
    app = await app_from(ctx)
    with user_errors():
        memory = await pins.set_pinned(app, id, False)
    return respond(*pin_view(memory))


async def memory_pins(ctx: Context, project: Project = None) -> Annotated[CallToolResult, MemoriesOutput]:
    """List pinned memories (current project plus global unless `project` says otherwise)."""
    app = await app_from(ctx)
    with user_errors():
        found = await pins.list_pins(app, project)
    return respond(*pins_view(found))


_PIN = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
TOOLS: tuple[ToolEntry, ...] = (
    (memory_pin, "Pin a memory", _PIN),
    (memory_unpin, "Unpin a memory", _PIN),
    (memory_pins, "Pinned memories", READ_ONLY),
)
