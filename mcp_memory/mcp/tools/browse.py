"""Browsing tools: memory_similar, memory_timeline, memory_context."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from mcp_memory.limits import MAX_TOKEN_BUDGET, MIN_TOKEN_BUDGET
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import Limit, MemoryId, Project, Since, Until
from mcp_memory.services.search import browse, context
from mcp_memory.views.browse import ContextOutput, TimelineOutput, context_view, similar_view, timeline_view
from mcp_memory.views.models import SearchOutput

__all__ = ["TOOLS"]


async def memory_similar(
    ctx: Context, id: MemoryId, limit: Limit = 10
) -> Annotated[CallToolResult, SearchOutput]:
    """Memories closest in meaning to one memory (itself excluded), in its project plus global ones,
    above the relevance floor. Useful to find related decisions or possible duplicates."""
    app = await app_from(ctx)
    with user_errors():
        hits = await browse.similar_memories(app, id, limit=limit)
    return respond(*similar_view(hits))


async def memory_timeline(
    ctx: Context,
    since: Since = None,
    until: Until = None,
    project: Project = None,
    bucket: Annotated[Literal["day", "week", "month"], Field(description="Bucket size (UTC).")] = "day",
) -> Annotated[CallToolResult, TimelineOutput]:
    """How many memories were stored per day, week or month, newest first, each with its most
    important memories: an overview of what happened when."""
    app = await app_from(ctx)
    with user_errors():
        buckets = await browse.timeline(app, since=since, until=until, project=project, bucket=bucket)
    return respond(*timeline_view(buckets))


async def memory_context(
    ctx: Context,
    query: Annotated[
        str | None, Field(description="The task at hand; omit for recent and important memories.")
    ] = None,
    token_budget: Annotated[
        int, Field(ge=MIN_TOKEN_BUDGET, le=MAX_TOKEN_BUDGET, description="Most tokens the block may use.")
    ] = 2000,
    project: Project = None,
) -> Annotated[CallToolResult, ContextOutput]:
    """One text block to paste into a prompt: pinned memories, then those most relevant to `query`,
    then lessons from similar past episodes, within `token_budget`. Returns the ids used."""
    app = await app_from(ctx)
    with user_errors():
        result = await context.build_context(app, query=query, token_budget=token_budget, project=project)
    return respond(*context_view(result))


TOOLS: tuple[ToolEntry, ...] = (
    (memory_similar, "Similar memories", READ_ONLY),
    (memory_timeline, "Memory timeline", READ_ONLY),
    (memory_context, "Context for a prompt", READ_ONLY),
)
