"""Memory ids in the order a listing shows them: the newest passing a filter, those stored after a
given one (following the store), and a timeline of counts per day, week or month with each
period's most important memories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp_memory.storage.sqlite_facts import time_bucket

if TYPE_CHECKING:
    from mcp_memory.storage.filters import MemoryFilter
    from mcp_memory.storage.query import QuerySource

__all__ = [
    "TimelineRow",
    "change_stamp",
    "count_passing",
    "ids_after",
    "last_id",
    "newest_ids",
    "page_ids",
    "recently_stored_ids",
    "timeline_rows",
]


async def newest_ids(source: QuerySource, flt: MemoryFilter, limit: int) -> list[int]:
    """The `limit` memories passing `flt` with the highest row ids, newest first."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.id DESC LIMIT ?", [*params, limit]
    )
    return [int(r[0]) for r in rows]


async def page_ids(source: QuerySource, flt: MemoryFilter, offset: int, limit: int) -> list[int]:
    """One page of a listing: the memories passing `flt`, pinned ones first, then newest first."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.pinned DESC, m.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [int(r[0]) for r in rows]


async def count_passing(source: QuerySource, flt: MemoryFilter) -> int:
    """How many memories pass `flt`."""
    where, params = flt.sql("m")
    rows = await source.fetchall(f"SELECT count(*) FROM memories m WHERE {where}", params)
    return int(rows[0][0])


async def change_stamp(source: QuerySource) -> str:
    """A value that changes whenever a memory is stored, changed or deleted (by anyone: the viewer
    polls it to know when to read again)."""
    rows = await source.fetchall(
        "SELECT count(*), coalesce(max(id), 0), coalesce(max(updated_at), 0), "
        "coalesce(max(deleted_at), 0) FROM memories"
    )
    return ":".join(str(v) for v in rows[0])


async def recently_stored_ids(source: QuerySource, flt: MemoryFilter, limit: int) -> list[int]:
    """The `limit` memories passing `flt` stored last (by their time), newest first."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.created_at DESC LIMIT ?", [*params, limit]
    )
    return [int(r[0]) for r in rows]


async def ids_after(source: QuerySource, flt: MemoryFilter, after: int) -> list[int]:
    """The memories passing `flt` with a row id above `after`, oldest first."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE m.id > ? AND {where} ORDER BY m.id", [after, *params]
    )
    return [int(r[0]) for r in rows]


async def last_id(source: QuerySource) -> int:
    """The highest row id of any memory, deleted or not (0 for an empty store)."""
    rows = await source.fetchall("SELECT coalesce(max(id), 0) FROM memories")
    return int(rows[0][0])


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One period's start ('YYYY-MM-DD'), how many memories it holds, and one of its top memories
    (None for a period whose memories all fell out of the ranking)."""

    start: str
    count: int
    memory: int | None


async def timeline_rows(
    source: QuerySource, flt: MemoryFilter, bucket: str, *, max_buckets: int, top: int
) -> list[TimelineRow]:
    """The newest `max_buckets` periods (`bucket`: day, week or month, UTC) holding memories that
    pass `flt`, newest first, each with its `top` memories by importance, reads and time (one row
    per memory, in that order)."""
    where, params = flt.sql("m")
    key = time_bucket(bucket, source.dialect)
    rows = await source.fetchall(
        f"WITH b AS (SELECT m.id, {key} AS bucket, m.importance, m.access_count, m.created_at FROM memories m WHERE {where}), "
        "counted AS (SELECT bucket, count(*) AS n FROM b GROUP BY bucket ORDER BY bucket DESC LIMIT ?), "
        "ranked AS (SELECT b.id, b.bucket, row_number() OVER (PARTITION BY b.bucket "
        "ORDER BY b.importance DESC, b.access_count DESC, b.created_at DESC) AS r FROM b JOIN counted USING (bucket)) "
        "SELECT counted.bucket, counted.n, ranked.id FROM counted LEFT JOIN ranked ON ranked.bucket = counted.bucket "
        "AND ranked.r <= ? ORDER BY counted.bucket DESC, ranked.r",
        [*params, max_buckets, top],
    )
    return [TimelineRow(str(r[0]), int(r[1]), None if r[2] is None else int(r[2])) for r in rows]
