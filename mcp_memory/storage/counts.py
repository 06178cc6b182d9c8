"""Counting the store: live, deleted, embedded and pending memories, memories by kind, project and
tag, the schema version and the file's size, for the statistics and the doctor.

Nothing here imports the connection layer: the quick command line counts with it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp_memory.storage.ids import LIVE, live
from mcp_memory.storage.query import POSTGRES
from mcp_memory.storage.sqlite_facts import SIZE_STATEMENTS

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource

__all__ = [
    "PENDING_COUNT",
    "StoreCounts",
    "count_embedded",
    "count_live",
    "count_pending",
    "count_store_rows",
    "schema_version",
]

#: How many live memories still wait for their vector.
PENDING_COUNT = f"SELECT count(*) FROM memories WHERE embedded = 0 AND {LIVE}"
_LIVE_COUNT = f"SELECT count(*) FROM memories WHERE {LIVE}"
_SCHEMA_VERSION = "SELECT max(version) FROM schema_migrations"
#: Counted in one trip, in this order (then the file's size, `SIZE_STATEMENTS`).
_QUERIES: tuple[str, ...] = (
    _LIVE_COUNT,
    "SELECT count(*) FROM memories WHERE deleted_at IS NOT NULL",
    PENDING_COUNT,
    f"SELECT kind, count(*) FROM memories WHERE {LIVE} GROUP BY kind ORDER BY count(*) DESC",
    f"SELECT project, count(*) FROM memories WHERE {LIVE} GROUP BY project ORDER BY count(*) DESC",
    f"SELECT t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id WHERE {live('m')} "
    "GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT 20",
    *SIZE_STATEMENTS,
    _SCHEMA_VERSION,
)


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """The store's numbers: memories by state, the live ones by kind and project (largest first, the
    global project as ''), the 20 commonest tags, the file's size and the schema version."""

    memories: int
    deleted: int
    pending: int
    by_kind: dict[str, int]
    by_project: dict[str, int]
    top_tags: dict[str, int]
    database_bytes: int
    schema_version: int


def _number(rows: list[Any]) -> int:
    return int(rows[0][0] or 0) if rows else 0


async def _count(source: QuerySource, sql: str) -> int:
    return _number(await source.fetchall(sql))


#: On Postgres the size is the memories' tables' (two numbers again, to keep the trip's shape).
_PG_SIZE = (
    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r'",
    "SELECT 1",
)


async def count_store_rows(source: QuerySource) -> StoreCounts:
    """Every number of `StoreCounts`, in one trip."""
    queries = _QUERIES
    if source.dialect == POSTGRES:
        queries = tuple(_PG_SIZE[SIZE_STATEMENTS.index(q)] if q in SIZE_STATEMENTS else q for q in _QUERIES)
    (live_rows, deleted, pending, kinds, projects, tags, pages, page_size, schema) = await source.fetch_many(
        [(sql, ()) for sql in queries]
    )
    return StoreCounts(
        memories=_number(live_rows),
        deleted=_number(deleted),
        pending=_number(pending),
        by_kind={str(r[0]): int(r[1]) for r in kinds},
        by_project={str(r[0]): int(r[1]) for r in projects},
        top_tags={str(r[0]): int(r[1]) for r in tags},
        database_bytes=_number(pages) * _number(page_size),
        schema_version=_number(schema),
    )


async def count_pending(source: QuerySource) -> int:
    """How many live memories still wait for their vector."""
    return await _count(source, PENDING_COUNT)


async def count_live(source: QuerySource) -> int:
    """How many memories are not deleted."""
    return await _count(source, _LIVE_COUNT)


async def count_embedded(source: QuerySource) -> int:
    """How many live memories are marked as having their vector."""
    return await _count(source, f"SELECT count(*) FROM memories WHERE embedded = 1 AND {LIVE}")


async def schema_version(source: QuerySource) -> int:
    """The newest migration applied (0 when none is recorded)."""
    return await _count(source, _SCHEMA_VERSION)
