"""Maintenance tools: memory_stats, memory_health, memory_consolidate, memory_lifecycle,
memory_export, memory_import, memory_forget, memory_reindex."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from mcp_memory.errors import TOOL_SPELLING
from mcp_memory.limits import MERGE_SIMILARITY
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, file_access, respond, user_errors
from mcp_memory.mcp.tools.args import Filter, OptionalIds, filter_mapping
from mcp_memory.services.maintenance import consolidate, doctor
from mcp_memory.services.maintenance import stats as maintenance
from mcp_memory.services.memories import history
from mcp_memory.services.transfer import exporting, importing
from mcp_memory.views.maintenance import (
    ConsolidateOutput,
    ExportOutput,
    HealthOutput,
    ImportOutput,
    LifecycleOutput,
    ReindexOutput,
    StatsOutput,
    consolidate_view,
    export_view,
    forget_view,
    health_view,
    import_view,
    lifecycle_view,
    reindex_view,
    stats_view,
)
from mcp_memory.views.models import BulkOutput

__all__ = ["TOOLS"]


async def memory_stats(ctx: Context) -> Annotated[CallToolResult, StatsOutput]:
    """Counts by kind, project and tag, database size, embedding model and index state."""
    app = await app_from(ctx)
    with user_errors():
        s = await maintenance.collect_stats(app)
    return respond(*stats_view(s))


async def memory_health(ctx: Context) -> Annotated[CallToolResult, HealthOutput]:
    """Health checks (database integrity, extension, model loaded or loading, pending embeddings,
    schema version, index consistency), each ok or not with a reason."""
    app = await app_from(ctx)
    with user_errors():
        checks = await doctor.health_checks(app)
    return respond(*health_view(checks, spelling=TOOL_SPELLING))


async def memory_consolidate(
    ctx: Context,
    dry_run: Annotated[bool, Field(description="Only report (default).")] = True,
    similarity: Annotated[
        float, Field(ge=0.5, le=1.0, description="Cosine similarity that counts as duplicate.")
    ] = MERGE_SIMILARITY,
) -> Annotated[CallToolResult, ConsolidateOutput]:
    """Tidy up: merge near-duplicates within a project and visibility (tags and history kept; pinned never merged
    away; never two memories that differ in a number, date, version, name, path, URL, negation or
    any word of their own), retire an older memory a newer one contradicts (another port, day or
    version for the same thing: history kept, memory_revert brings it back), remove expired memories,
    apply lifecycle rules. Reports both texts of each merge and supersession and what survives; a dry
    run unless dry_run=false."""
    app = await app_from(ctx)
    with user_errors():
        r = await consolidate.consolidate(app, dry_run=dry_run, similarity=similarity)
    return respond(*consolidate_view(r, spelling=TOOL_SPELLING))


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["delete", "archive"]
    older_than_days: float = Field(ge=0)
    kind: str | None = None
    tag: str | None = None
    project: str | None = None
    importance_below: float | None = Field(default=None, ge=0, le=1)


async def memory_lifecycle(
    ctx: Context,
    rules: Annotated[
        list[RuleIn] | None, Field(description="Replace all rules with these; omit to list them.")
    ] = None,
) -> Annotated[CallToolResult, LifecycleOutput]:
    """Show or set lifecycle rules, applied by memory_consolidate. E.g. {kind: 'scratch',
    older_than_days: 7, action: 'delete'} or {importance_below: 0.2, older_than_days: 90, action: 'archive'}.
    On a shared team database the rules are yours and reach only memories you stored."""
    app = await app_from(ctx)
    with user_errors():
        current = (
            await consolidate.set_rules(app, [r.model_dump() for r in rules])
            if rules is not None
            else await consolidate.get_rules(app)
        )
    return respond(*lifecycle_view(current))


async def memory_export(
    ctx: Context,
    path: Annotated[
        str,
        Field(
            min_length=1,
            description="File to write: a name (saved in the data directory's exports/ folder) or a path "
            "inside the project's folders. Never a hidden folder; replaces only an earlier export.",
        ),
    ],
    format: Annotated[
        Literal["jsonl", "markdown"], Field(description="jsonl round-trips; markdown is for reading.")
    ] = "jsonl",
    include_vectors: Annotated[bool, Field(description="Add vectors so import need not re-embed.")] = False,
    overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False,
) -> Annotated[CallToolResult, ExportOutput]:
    """Export everything (memories with ids, times, tags, metadata, pins, versions; graph; episodes)."""
    app = await app_from(ctx)
    with user_errors():
        r = await exporting.export_memories(
            app,
            path,
            format=format,
            include_vectors=include_vectors,
            overwrite=overwrite,
            access=file_access(ctx),
        )
    return respond(*export_view(r))


async def memory_import(
    ctx: Context,
    path: Annotated[
        str,
        Field(
            min_length=1,
            description="File (or, for markdown, folder) to read, inside the project's folders or the "
            "data directory; relative paths start at the project folder.",
        ),
    ],
    format: Annotated[
        Literal["jsonl", "server-memory", "markdown", "plain-jsonl"],
        Field(
            description="jsonl: memory_export's file; server-memory: the official knowledge-graph server's "
            "file; markdown: a folder of .md notes; plain-jsonl: one {content, ...} object per line."
        ),
    ] = "jsonl",
    split: Annotated[
        Literal["file", "heading"], Field(description="markdown: one memory per file or per heading.")
    ] = "file",
) -> Annotated[CallToolResult, ImportOutput]:
    """Move memories in: a memory_export file, the official MCP knowledge-graph server's memory file,
    a folder of markdown notes (tags from front matter), or plain JSON lines. Reports what was skipped
    and why; a record already stored is not written again, so importing a file twice adds nothing."""
    app = await app_from(ctx)
    with user_errors():
        r = await importing.import_memories(app, path, format=format, split=split, access=file_access(ctx))
    return respond(*import_view(r))


async def memory_forget(
    ctx: Context,
    ids: OptionalIds = None,
    filter: Annotated[Filter | None, Field(description="Choose memories by filter instead of ids.")] = None,
    dry_run: Annotated[bool, Field(description="Only report (default).")] = True,
) -> Annotated[CallToolResult, BulkOutput]:
    """Erase memories permanently, with their history and graph links (deleted ones too). A dry run
    unless dry_run=false. For secrets or data that must not be kept."""
    app = await app_from(ctx)
    with user_errors():
        r = await history.forget_memories(app, ids=ids, flt=filter_mapping(filter), dry_run=dry_run)
    return respond(*forget_view(r, spelling=TOOL_SPELLING))


async def memory_reindex(ctx: Context) -> Annotated[CallToolResult, ReindexOutput]:
    """Re-embed every memory with the configured model (after changing MCP_MEMORY_EMBEDDING_MODEL).
    Search keeps working on the old index until the new one is complete."""
    app = await app_from(ctx)
    with user_errors():
        r = await maintenance.reindex(app)
    return respond(*reindex_view(r))


_DESTRUCTIVE_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
TOOLS: tuple[ToolEntry, ...] = (
    (memory_stats, "Memory statistics", READ_ONLY),
    (memory_health, "Health checks", READ_ONLY),
    (memory_consolidate, "Consolidate memories", _DESTRUCTIVE_IDEMPOTENT),
    (memory_lifecycle, "Lifecycle rules", _DESTRUCTIVE_IDEMPOTENT),
    (
        memory_export,
        "Export memories",
        # Not read-only: it writes a file, and with overwrite=true replaces an earlier export.
        ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
    (
        memory_import,
        "Import memories",
        # Idempotent: a record already stored is reported as present, not written again.
        ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
    ),
    (memory_forget, "Erase memories permanently", _DESTRUCTIVE_IDEMPOTENT),
    (memory_reindex, "Re-embed all memories", _DESTRUCTIVE_IDEMPOTENT),
)
