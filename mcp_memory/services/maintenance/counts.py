"""The store's statistics as counted from the database alone (no model, no App), so that the server's
`memory_stats`, the command line's `stats` and its quick path (`mcp_memory.cli.quick`) count the
same way. Nothing here imports the connection layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp_memory.storage.query import QuerySource
from mcp_memory.storage.vector_tables import read_meta

__all__ = ["PENDING_COUNT", "Stats", "count_store"]

_LIVE = "deleted_at IS NULL"
#: How many live memories still wait for their vector.
PENDING_COUNT = f"SELECT count(*) FROM memories WHERE embedded = 0 AND {_LIVE}"
#: Counted in one trip, in this order.
_QUERIES: tuple[str, ...] = (
    f"SELECT count(*) FROM memories WHERE {_LIVE}",
    "SELECT count(*) FROM memories WHERE deleted_at IS NOT NULL",
    PENDING_COUNT,
    f"SELECT kind, count(*) FROM memories WHERE {_LIVE} GROUP BY kind ORDER BY count(*) DESC",
    f"SELECT project, count(*) FROM memories WHERE {_LIVE} GROUP BY project ORDER BY count(*) DESC",
    f"SELECT t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id WHERE m.{_LIVE} "
    "GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT 20",
    "PRAGMA page_count",
    "PRAGMA page_size",
    "SELECT max(version) FROM schema_migrations",
)


@dataclass(frozen=True, slots=True)
class Stats:
    memories: int
    deleted: int
    pending_embeddings: int
    by_kind: dict[str, int]
    by_project: dict[str, int]
    top_tags: dict[str, int]
    database_path: str
    database_bytes: int
    schema_version: int
    sqlite: str
    embedding_model: str
    recorded_model: str | None
    vector_table: str | None
    model_state: str
    model_problem: str | None = field(default=None)


async def count_store(
    db: QuerySource,
    *,
    database_path: str,
    sqlite: str,
    embedding_model: str,
    model_state: str,
    model_problem: str | None,
) -> Stats:
    """Counts by kind, project and tag, pending vectors, size and schema, in one trip; with what only
    the process knows (its SQLite, its model)."""
    (live, deleted, pending, kinds, projects, tags, pages, page_size, schema) = await db.fetch_many(
        [(sql, ()) for sql in _QUERIES]
    )
    info = await read_meta(db)

    def number(rows: list[Any]) -> int:
        return int(rows[0][0] or 0) if rows else 0

    return Stats(
        memories=number(live),
        deleted=number(deleted),
        pending_embeddings=number(pending),
        by_kind={str(r[0]): int(r[1]) for r in kinds},
        by_project={str(r[0]) or "(global)": int(r[1]) for r in projects},
        top_tags={str(r[0]): int(r[1]) for r in tags},
        database_path=database_path,
        database_bytes=number(pages) * number(page_size),
        schema_version=number(schema),
        sqlite=sqlite,
        embedding_model=embedding_model,
        recorded_model=info.model if info else None,
        vector_table=info.table if info else None,
        model_state=model_state,
        model_problem=model_problem,
    )
