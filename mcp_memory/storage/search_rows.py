"""The reads of a search's later stages that are not the keyword or vector index's own: the
memories a tag filter names, and a candidate's session neighbourhood (with the vectors the
session lift needs, in the same trip).

These lean on SQLite where its planner needs telling (NOT INDEXED) and ids travel as one JSON
array (json_each, in `vectors_statement`); a second engine writes its own beside this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.query import QuerySource
from mcp_memory.storage.vectors import vectors_statement

__all__ = ["Neighbourhood", "neighbourhood", "tagged_ids"]

#: Each candidate's (project, created_at), and the vectors read, by row id.
Neighbourhood = tuple[dict[int, tuple[str, float]], dict[int, bytes]]


async def tagged_ids(source: QuerySource, tags: Sequence[str], limit: int) -> list[int]:
    """Up to `limit` memories (live or not) holding any of `tags`, in no particular order."""
    marks = ", ".join("?" * len(tags))
    rows = await source.fetchall(
        f"SELECT DISTINCT memory_id FROM memory_tags WHERE tag IN ({marks}) LIMIT ?", [*tags, limit]
    )
    return [int(r[0]) for r in rows]


async def neighbourhood(
    source: QuerySource, flt: MemoryFilter, wanted: Sequence[int], table: str | None, need: Sequence[int]
) -> Neighbourhood:
    """In one trip (none when there is nothing to read): the project and time of the memories of
    `wanted` that pass `flt`, and the vectors of `need` that `table` holds.

    The id-restricted query says NOT INDEXED: with a project filter the planner otherwise walks the
    whole project's index instead of looking the ids up (far slower at 100,000: bench/README.md);
    the primary-key lookup stays allowed."""
    statements: list[tuple[str, Sequence[Any]]] = []
    if wanted:
        where, params = flt.sql("m")
        statements.append(
            (
                f"SELECT m.id, m.project, m.created_at FROM memories m NOT INDEXED WHERE m.id IN ({', '.join('?' * len(wanted))}) AND {where}",
                [*wanted, *params],
            )
        )
    if table is not None and need:
        statements.append(vectors_statement(table, need))
    if not statements:
        return {}, {}
    results = await source.fetch_many(statements)
    rows = results[0] if wanted else []
    blobs = results[-1] if table is not None and need else []
    return {int(r[0]): (str(r[1]), float(r[2])) for r in rows}, {int(r[0]): bytes(r[1]) for r in blobs}
