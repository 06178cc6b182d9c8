"""Browsing: memories similar to a given one, and a timeline of what was stored when."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_memory import relevance
from mcp_memory.errors import InvalidInput, ModelUnavailable, NotFound, Operation
from mcp_memory.limits import MAX_LIMIT
from mcp_memory.relevance import query_terms
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import Memory, load_memories, resolve_id
from mcp_memory.services.search.hybrid import SearchHit, nearest_memories
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.keywords import match_words
from mcp_memory.storage.listings import timeline_rows
from mcp_memory.storage.sqlite_facts import TIME_BUCKETS
from mcp_memory.storage.vectors import vector_of

__all__ = ["TimelineBucket", "similar_memories", "timeline"]

#: At most this many of a memory's words are matched against the others (its first distinct ones).
_MAX_TERMS = 64


async def similar_memories(
    app: App, memory_id: str, *, limit: int = 10, project: str | None = None
) -> list[SearchHit]:
    """The memories closest in meaning to `memory_id` (itself excluded), by default within its own
    project plus global memories."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_LIMIT}.")
    rowid = resolve_id(memory_id)
    found = await load_memories(app.db, [rowid])
    if rowid not in found:
        raise NotFound(f"no memory {memory_id}; ", Operation("memory_search"), " finds ids.")
    source = found[rowid]
    await app.await_semantic(app.settings.model_wait_seconds)
    info = app.vector_info
    if info is None or not app.semantic_ready():
        raise ModelUnavailable(
            f"similar memories need the embedding model: {app.semantic_unavailable_reason()}."
        )
    blob = await vector_of(app.db, info.table, rowid)
    vector = blob if blob is not None else (await app.embeddings.embed([source.content]))[0]
    scope = project if project is not None else (source.project or "global")
    flt = build_filter(default_project=app.default_project, project=scope)
    rows = await nearest_memories(app, vector, flt, limit, exclude=rowid)
    # Relevance as for a search whose question is the memory itself: its similarity, and the share
    # of its informative words the other memory holds; under the floor is left out.
    terms = query_terms(source.content)[:_MAX_TERMS]
    matches = await match_words(app.db, terms, [int(r[0]) for r in rows])
    memories = await load_memories(app.db, [int(r[0]) for r in rows])
    hits = []
    for row in rows:
        memory = memories.get(int(row[0]))
        if memory is None:
            continue
        similarity = float(row[1])
        held = [t for t in terms if t in matches.found.get(int(row[0]), ())]
        shown = relevance.display(relevance.evidence(similarity, relevance.coverage(matches.weights, held)))
        if shown < app.settings.min_relevance:
            continue
        why = [f"similarity {similarity:.2f}"] + ([f"shares {', '.join(held[:8])}"] if held else [])
        hits.append(SearchHit(memory, shown, tuple(why), similarity))
    return hits


@dataclass(frozen=True, slots=True)
class TimelineBucket:
    start: str
    count: int
    top: tuple[Memory, ...]


async def timeline(
    app: App,
    *,
    since: str | None = None,
    until: str | None = None,
    project: str | None = None,
    bucket: str = "day",
    top: int = 3,
    max_buckets: int = 60,
) -> list[TimelineBucket]:
    """Counts of memories per day, week (from Monday) or month, UTC, newest first, each with its most
    important memories."""
    if bucket not in TIME_BUCKETS:
        raise InvalidInput(f"bucket {bucket!r} is not valid; use day, week or month.")
    flt = build_filter(default_project=app.default_project, project=project, since=since, until=until)
    rows = await timeline_rows(app.db, flt, bucket, max_buckets=max_buckets, top=top)
    memories = await load_memories(app.db, [r.memory for r in rows if r.memory is not None])
    buckets: dict[str, tuple[int, list[Memory]]] = {}
    for row in rows:
        entry = buckets.setdefault(row.start, (row.count, []))
        if row.memory is not None and row.memory in memories:
            entry[1].append(memories[row.memory])
    return [
        TimelineBucket(start, count, tuple(top_memories)) for start, (count, top_memories) in buckets.items()
    ]
