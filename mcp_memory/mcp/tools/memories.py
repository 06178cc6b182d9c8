"""The core memory tools: memory_store, memory_search, memory_get, memory_update, memory_delete,
memory_recent. Each is a thin adapter over one service call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_memory.errors import TOOL_SPELLING
from mcp_memory.limits import MAX_CONTENT_BYTES, MAX_QUERY_CHARS
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import Ids, Kind, Limit, NewVisibility, Project, Since, Tags, Until, Visibility
from mcp_memory.services.memories import changes, scope_hints
from mcp_memory.services.memories import store as memories
from mcp_memory.services.search import hybrid as search
from mcp_memory.views.memories import delete_view, get_view, recent_view, search_view, store_view, update_view
from mcp_memory.views.models import (
    DeleteOutput,
    GetOutput,
    RecentOutput,
    SearchOutput,
    StoreOutput,
    UpdateOutput,
)

__all__ = ["TOOLS"]


async def memory_store(
    ctx: Context,
    content: Annotated[
        str,
        Field(
            min_length=1,
            description=f"What to remember, self-contained (up to {MAX_CONTENT_BYTES // 1000} kB). One fact, "
            "decision or lesson per memory.",
        ),
    ],
    tags: Tags = None,
    kind: Annotated[
        str | None, Field(description="note (default), fact, decision, preference, lesson, ...")
    ] = None,
    importance: Annotated[
        float | None, Field(ge=0, le=1, description="0 trivial .. 1 critical; default 0.5.")
    ] = None,
    metadata: Annotated[dict[str, Any] | None, Field(description="Extra JSON fields, up to 16 kB.")] = None,
    project: Annotated[
        str | None,
        Field(description="Project it belongs to; default the current project, 'global' for all projects."),
    ] = None,
    pinned: Annotated[bool, Field(description="Pin it so it comes first in context.")] = False,
    expires_at: Annotated[
        str | None, Field(description="When it stops being returned: ISO 8601 or e.g. 'in 7 days'.")
    ] = None,
    created_at: Annotated[
        str | None, Field(description="Back-date an imported memory: ISO 8601 or relative.")
    ] = None,
    visibility: Visibility = None,
    supersedes: Annotated[
        list[str] | None,
        Field(
            max_length=memories.MAX_SUPERSEDES,
            description="Ids of older memories this one replaces (a fact that changed: the old port, "
            "day, version). They are retired, not deleted: out of search and context, history kept; "
            "memory_revert brings one back.",
        ),
    ] = None,
) -> Annotated[CallToolResult, StoreOutput]:
    """Save something worth remembering across sessions: a decision and its reason, a user preference,
    a fix that worked, a project convention. Storing identical content again returns the existing id
    (status 'duplicate') and adds the new tags to it. When it states another value for what a stored
    memory says, the result lists that memory in `conflicts`: store again with `supersedes` (or
    memory_update the old one) so search gives only the current fact."""
    app = await app_from(ctx)
    with user_errors():
        result = await memories.store_memory(
            app,
            content,
            tags=tags,
            kind=kind,
            importance=importance,
            metadata=metadata,
            project=project,
            pinned=pinned,
            expires_at=expires_at,
            created_at=created_at,
            visibility=visibility,
            supersedes=supersedes,
        )
    return respond(*store_view(result))


async def memory_search(
    ctx: Context,
    query: Annotated[
        str,
        Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What you are looking for, in words."),
    ],
    limit: Limit = 10,
    min_relevance: Annotated[
        float | None,
        Field(
            ge=0,
            le=1,
            description="Leave out results under this relevance (0-1, the same scale for every query). "
            "Default: the server's floor (0.3); 0 returns up to limit whatever their relevance.",
        ),
    ] = None,
    tags: Tags = None,
    tag_mode: Annotated[Literal["any", "all"], Field(description="Match any of the tags, or all.")] = "any",
    kind: Kind = None,
    project: Project = None,
    since: Since = None,
    until: Until = None,
    mode: Annotated[
        Literal["hybrid", "semantic", "keyword"],
        Field(description="hybrid (default) fuses keyword and meaning; semantic or keyword use one signal."),
    ] = "hybrid",
    diversify: Annotated[bool, Field(description="Prefer varied results over near-duplicates.")] = False,
    include_superseded: Annotated[
        bool,
        Field(description="Also return memories a newer one retired (supersedes), marked superseded_by."),
    ] = False,
) -> Annotated[CallToolResult, SearchOutput]:
    """Search memories by meaning and keywords. Use it before starting work to recall decisions,
    conventions and past fixes. Write the query with the specific words a stored memory would
    contain: names, identifiers, file paths, commands, error text, library and service names
    ('pnpm lockfile frontend', 'KubernetesExecutor airflow DAG sync'), not a vague question. Only
    results above a relevance floor come back (`limit` is a maximum), each with `relevance` (0-1,
    comparable across queries) and `why` (the signals that matched); an empty answer means nothing
    stored is relevant enough, and its notice says how many weaker matches exist and where else to
    look."""
    app = await app_from(ctx)
    with user_errors():
        found = await search.search_memories(
            app,
            query,
            limit=limit,
            min_relevance=min_relevance,
            tags=tags,
            tag_mode=tag_mode,
            kind=kind,
            project=project,
            since=since,
            until=until,
            mode=mode,
            diversify=diversify,
            include_superseded=include_superseded,
        )
    return respond(*search_view(found, query, spelling=TOOL_SPELLING))


async def memory_get(
    ctx: Context,
    ids: Ids,
    include_history: Annotated[
        bool, Field(description="Also return earlier versions of each memory.")
    ] = False,
) -> Annotated[CallToolResult, GetOutput]:
    """Fetch memories by id, whole (search results cut long content). Unknown or deleted ids are
    listed in `missing`."""
    app = await app_from(ctx)
    with user_errors():
        result = await memories.get_memories(app, ids, include_history=include_history)
    return respond(*get_view(result, include_history=include_history))


async def memory_update(
    ctx: Context,
    id: Annotated[str, Field(description="The memory to change, e.g. 'm_12'.")],
    content: Annotated[str | None, Field(min_length=1, description="New content (replaces the old).")] = None,
    tags: Annotated[list[str] | None, Field(description="New tags (replace the old ones).")] = None,
    kind: Kind = None,
    importance: Annotated[float | None, Field(ge=0, le=1, description="0 trivial .. 1 critical.")] = None,
    metadata: Annotated[dict[str, Any] | None, Field(description="New metadata (replaces the old).")] = None,
    visibility: NewVisibility = None,
) -> Annotated[CallToolResult, UpdateOutput]:
    """Correct or refine a memory instead of storing a contradicting one. The previous version is kept
    in its history."""
    app = await app_from(ctx)
    with user_errors():
        result = await changes.update_memory(
            app,
            id,
            content=content,
            tags=tags,
            kind=kind,
            importance=importance,
            metadata=metadata,
            visibility=visibility,
        )
    return respond(*update_view(result))


async def memory_delete(ctx: Context, ids: Ids) -> Annotated[CallToolResult, DeleteOutput]:
    """Delete memories that are wrong or obsolete. They leave search and listings at once; their last
    version stays in history."""
    app = await app_from(ctx)
    with user_errors():
        result = await changes.delete_memories(app, ids)
    return respond(*delete_view(result, spelling=TOOL_SPELLING))


async def memory_recent(
    ctx: Context,
    limit: Limit = 10,
    project: Project = None,
    kind: Kind = None,
    tags: Tags = None,
) -> Annotated[CallToolResult, RecentOutput]:
    """The most recently stored memories, newest first: a quick catch-up at the start of a session."""
    app = await app_from(ctx)
    with user_errors():
        found = await memories.recent_memories(app, limit=limit, project=project, kind=kind, tags=tags)
        hint = None if found else await scope_hints.listing_hint(app, project=project, kind=kind, tags=tags)
    return respond(*recent_view(found, hint, spelling=TOOL_SPELLING))


_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_DESTRUCTIVE_NOT_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)
_DELETE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)

TOOLS: tuple[ToolEntry, ...] = (
    (memory_store, "Store a memory", _WRITE),
    (memory_search, "Search memories", READ_ONLY),
    (memory_get, "Get memories by id", READ_ONLY),
    (memory_update, "Update a memory", _DESTRUCTIVE_NOT_IDEMPOTENT),
    (memory_delete, "Delete memories", _DELETE),
    (memory_recent, "Recent memories", READ_ONLY),
)
