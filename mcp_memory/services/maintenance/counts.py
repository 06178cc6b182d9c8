"""The store's statistics as counted from the database alone (no model, no App), so that the server's
`memory_stats`, the command line's `stats` and its quick path (`mcp_memory.cli.quick`) count the
same way. Nothing here imports the connection layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcp_memory.storage.counts import PENDING_COUNT, count_store_rows
from mcp_memory.storage.query import QuerySource
from mcp_memory.storage.vector_tables import read_meta

__all__ = ["PENDING_COUNT", "Stats", "count_store"]


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
    counts = await count_store_rows(db)
    info = await read_meta(db)
    return Stats(
        memories=counts.memories,
        deleted=counts.deleted,
        pending_embeddings=counts.pending,
        by_kind=counts.by_kind,
        by_project={project or "(global)": n for project, n in counts.by_project.items()},
        top_tags=counts.top_tags,
        database_path=database_path,
        database_bytes=counts.database_bytes,
        schema_version=counts.schema_version,
        sqlite=sqlite,
        embedding_model=embedding_model,
        recorded_model=info.model if info else None,
        vector_table=info.table if info else None,
        model_state=model_state,
        model_problem=model_problem,
    )
