"""The memories nearest in meaning to a vector, within a filter: the vector stage of search, and
what a new memory is compared with for its conflicts (`conflicts`)."""

from __future__ import annotations

from mcp_memory.services.app import App
from mcp_memory.storage.binary_codes import candidate_count
from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.postgres import search as pg_search
from mcp_memory.storage.query import POSTGRES
from mcp_memory.storage.search_rows import tagged_ids
from mcp_memory.storage.vectors import rescore

__all__ = ["nearest_memories"]

#: A tag filter naming at most this many memories is answered exactly from them.
_EXACT_TAGGED = 4096


async def nearest_memories(
    app: App, vector: bytes, flt: MemoryFilter, n: int, *, exclude: int | None = None, synced: bool = False
) -> list[tuple[int, float]]:
    """The `n` memories passing `flt` whose vectors are closest to `vector`, as (row id, cosine
    similarity), best first.

    Two stages: the in-memory binary codes (project, kind and time filters applied inside that scan)
    give candidates, which are re-scored exactly against the float vectors with every filter. A tag
    filter naming few memories is answered exactly from those memories through the tag index; one
    naming many, or deleted and archived memories among the candidates, widen the candidate set
    until enough pass, at worst to every vector that passes the scan's filters. `synced`: the caller
    has just brought the codes up to date."""
    info = app.vector_info
    if info is None:
        return []
    if app.db.dialect == POSTGRES:  # pgvector's own index, as the connecting member sees the rows
        return await pg_search.nearest(app.db, vector, flt, n, exclude=exclude)
    index = app.binary_codes
    # On the second reader: a hybrid search's keyword stage is using the first at the same time.
    reader = app.db.second_reader
    if not synced:
        await index.sync(reader, info.table)
    where, params = flt.sql("m")
    if exclude is not None:
        where, params = f"{where} AND m.id != ?", [*params, exclude]
    if flt.tags:
        tagged = await tagged_ids(reader, flt.tags, _EXACT_TAGGED + 1)
        if len(tagged) <= _EXACT_TAGGED:
            return (await rescore(reader, info.table, vector, tagged, where, params, wanted=n))[:n]
    reachable = index.matching(flt)
    count = candidate_count(n, len(index))
    while True:
        ids = await index.nearest_async(vector, count, flt)
        hits = await rescore(reader, info.table, vector, ids, where, params, wanted=n)
        if len(hits) >= n or len(ids) >= reachable:
            return hits[:n]
        count *= 4
