"""Batch tools: memory_batch_store, memory_batch_tag, memory_batch_delete."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_memory.limits import MAX_BATCH
from mcp_memory.mcp.tools._common import ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import Filter, OptionalIds, filter_mapping
from mcp_memory.services.memories import batch
from mcp_memory.views.batch import BatchStoreOutput, batch_delete_view, batch_store_view, tag_view
from mcp_memory.views.models import BulkOutput

__all__ = ["TOOLS"]


async def memory_batch_store(
    ctx: Context,
    items: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=MAX_BATCH,
            description=f"Up to {MAX_BATCH:,} objects with memory_store's arguments.",
        ),
    ],
) -> Annotated[CallToolResult, BatchStoreOutput]:
    """Store many memories at once, embedded together and written in one transaction. One result per
    item, in order; a bad item is reported and the others are stored. In batches of up to 100, each
    new memory lists the stored ones it contradicts (`conflicts`), as memory_store does."""
    app = await app_from(ctx)
    with user_errors():
        results = await batch.batch_store(app, items)
    return respond(*batch_store_view(results))


async def memory_batch_tag(
    ctx: Context,
    ids: OptionalIds = None,
    filter: Annotated[Filter | None, Field(description="Choose memories by filter instead of ids.")] = None,
    add: Annotated[list[str] | None, Field(description="Tags to add.")] = None,
    remove: Annotated[list[str] | None, Field(description="Tags to remove.")] = None,
) -> Annotated[CallToolResult, BulkOutput]:
    """Add and/or remove tags on many memories, chosen by ids or by filter."""
    app = await app_from(ctx)
    with user_errors():
        result = await batch.batch_tag(app, ids=ids, flt=filter_mapping(filter), add=add, remove=remove)
    return respond(*tag_view(result))


async def memory_batch_delete(
    ctx: Context,
    ids: OptionalIds = None,
    filter: Annotated[Filter | None, Field(description="Choose memories by filter instead of ids.")] = None,
    dry_run: Annotated[bool, Field(description="Only report what would be deleted (default).")] = True,
) -> Annotated[CallToolResult, BulkOutput]:
    """Delete many memories, chosen by ids or by filter; a dry run unless dry_run=false. Deleted
    memories keep their history (memory_revert restores one)."""
    app = await app_from(ctx)
    with user_errors():
        result = await batch.batch_delete(app, ids=ids, flt=filter_mapping(filter), dry_run=dry_run)
    return respond(*batch_delete_view(result))


TOOLS: tuple[ToolEntry, ...] = (
    (
        memory_batch_store,
        "Store many memories",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
    ),
    (
        memory_batch_tag,
        "Tag many memories",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
    (
        memory_batch_delete,
        "Delete many memories",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
)
