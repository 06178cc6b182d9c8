"""History tools: memory_history, memory_revert."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import MemoryId
from mcp_memory.mcp.tools.models import MemoryBrief, memory_brief
from mcp_memory.services.memories import history
from mcp_memory.timeparse import format_time

__all__ = ["TOOLS"]


class VersionBrief(BaseModel):
    version: int
    content: str
    tags: list[str]
    kind: str
    importance: float
    when: str | None
    replaced_by: str
    changed: list[str]


class HistoryOutput(BaseModel):
    id: str
    current_version: int
    deleted: bool
    versions: list[VersionBrief]


async def memory_history(ctx: Context, id: MemoryId) -> Annotated[CallToolResult, HistoryOutput]:
    """Every version of a memory, newest first (the current one, then each earlier state with what
    replaced it and which fields changed). Works for deleted memories too."""
    app = await app_from(ctx)
    with user_errors():
        result = await history.memory_history(app, id)
    out = HistoryOutput(
        id=result.id,
        current_version=result.current_version,
        deleted=result.deleted,
        versions=[
            VersionBrief(
                version=v.version,
                content=v.content,
                tags=list(v.tags),
                kind=v.kind,
                importance=v.importance,
                when=format_time(v.valid_from),
                replaced_by=v.replaced_by,
                changed=list(v.changed),
            )
            for v in result.versions
        ],
    )
    lines = [f"{out.id}: version {out.current_version}" + (" (deleted)" if out.deleted else "")]
    lines += [
        f"v{v.version} {v.when}"
        + (f" — replaced by {v.replaced_by} ({', '.join(v.changed)})" if v.replaced_by else " — current")
        + f"\n{v.content}"
        for v in out.versions
    ]
    return respond(out, "\n\n".join(lines))


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
    return respond(
        memory_brief(memory),
        f"Restored {memory.id} to the content of version {version} (now v{memory.version}).",
    )


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
