"""The vector index: a table of one vector per memory (float32, plus its binary code made by
sqlite-vec's `vec_quantize_binary` and the columns filters need), and the record in `meta` of which
model made the vectors (id, dimension, file checksum) and which table holds them.

Search runs in two stages: the binary codes, held in memory by `mcp_memory.storage.binary_codes`, give the
nearest few hundred candidates, then `rescore` ranks those exactly with sqlite-vec's
`vec_distance_cosine` over the float vectors. Triggers log every change to the table in
`vector_changes`, inside the writing transaction, so the in-memory codes of every process follow.

The table's name lives in `meta` so that a reindex can build a new table beside the old one and
switch in one transaction: an interrupted reindex leaves the old index working.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mcp_memory.errors import ModelMismatch
from mcp_memory.storage.connection import Database, Reader
from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.postgres import indexes as pg_indexes
from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction
from mcp_memory.storage.vector_tables import (
    CHANGES_KEPT,
    VectorIndexInfo,
    activate_vector_table,
    checked_table,
    codes_table,
    create_vector_table,
    drop_leftover_vector_table,
    drop_vector_table,
    read_meta,
    table_statements,
)

__all__ = [
    "CHANGES_KEPT",
    "VectorIndexInfo",
    "activate_vector_table",
    "all_vectors",
    "check_model",
    "codes_table",
    "count_vectors",
    "create_vector_table",
    "delete_vectors",
    "drop_leftover_vector_table",
    "drop_vector_table",
    "ensure_vector_index",
    "forget_vector",
    "insert_vectors",
    "live_table",
    "mark_embedded_from",
    "mismatch_message",
    "prune_changes",
    "read_vector_info",
    "remove_orphan_vectors",
    "requeue_missing_vectors",
    "rescore",
    "table_statements",
    "update_vector_metadata",
    "vector_of",
    "vector_table_names",
    "vectors_of",
    "vectors_statement",
    "write_vectors",
]


async def read_vector_info(db: Database) -> VectorIndexInfo | None:
    """The recorded model and table, or None if no vectors were ever written."""
    return await read_meta(db)


async def ensure_vector_index(db: Database, model: str, dim: int, checksum: str) -> VectorIndexInfo:
    """The live index for `model`, created on first use; ModelMismatch if another model made it."""

    async def work(conn: Transaction) -> VectorIndexInfo:
        info = await read_meta(conn)
        if info is None and conn.dialect == POSTGRES:
            await pg_indexes.record_vector_model(conn, model, dim, checksum)
            return VectorIndexInfo(model, dim, checksum, pg_indexes.VECTOR_TABLE)
        if info is None:
            table = "memories_vec_1"
            await create_vector_table(conn, table, dim)
            await activate_vector_table(conn, table, model, dim, checksum)
            return VectorIndexInfo(model, dim, checksum, table)
        return info

    info = await db.write(work)
    check_model(info, model, dim)
    return info


def mismatch_message(recorded: str, configured: str) -> str:
    """The one explanation of a model mismatch, with both ways out."""
    return (
        f"the stored vectors were made by embedding model {recorded!r}, but the configured model is "
        f"{configured!r}. Run `mcp-memory reindex` to re-embed every memory with {configured!r}, "
        f"or set MCP_MEMORY_EMBEDDING_MODEL={recorded} to keep using the old one."
    )


def check_model(info: VectorIndexInfo | None, model: str, dim: int | None = None) -> None:
    """Raise ModelMismatch unless the recorded vectors belong to `model` (and `dim`, when known)."""
    if info is None:
        return
    if info.model != model or (dim is not None and info.dim != dim):
        raise ModelMismatch(mismatch_message(info.model, model))


async def write_vectors(
    conn: Transaction,
    info: VectorIndexInfo,
    rows: Sequence[tuple[int, bytes, str, str, float]],
) -> None:
    """Insert or replace vectors (memory id, blob, project, kind, created_at) and mark the memories
    embedded, inside the caller's transaction. Refuses when the live index changed under us (another
    process reindexed) or a vector has the wrong size."""
    current = await read_meta(conn)
    if current is None or current.table != info.table or current.model != info.model:
        raise ModelMismatch(mismatch_message(current.model if current else "?", info.model))
    for memory_id, blob, _, _, _ in rows:
        if len(blob) != info.dim * 4:
            raise ModelMismatch(
                f"a vector for m_{memory_id} has {len(blob) // 4} dimensions but the index holds {info.dim}; "
                "run `mcp-memory reindex`."
            )
    if conn.dialect == POSTGRES:
        await pg_indexes.write_vectors(conn, rows)
        return
    await insert_vectors(conn, info.table, rows)
    await conn.executemany("UPDATE memories SET embedded = 1 WHERE id = ?", [(r[0],) for r in rows])


async def insert_vectors(
    conn: Transaction, table: str, rows: Sequence[tuple[int, bytes, str, str, float]]
) -> None:
    """Insert or replace rows of (memory id, float32 blob, project, kind, created_at) in `table` and
    their binary codes beside it, and keep the change log short."""
    await conn.executemany(
        f"INSERT INTO {table}(memory_id, embedding) VALUES (?, ?) "
        "ON CONFLICT(memory_id) DO UPDATE SET embedding = excluded.embedding",
        [(r[0], r[1]) for r in rows],
    )
    await conn.executemany(
        f"INSERT INTO {codes_table(table)}(memory_id, code, project, kind, created_at) "
        "VALUES (?1, vec_quantize_binary(?2), ?3, ?4, ?5) ON CONFLICT(memory_id) DO UPDATE SET "
        "code = excluded.code, project = excluded.project, kind = excluded.kind, created_at = excluded.created_at",
        rows,
    )
    await prune_changes(conn)


async def prune_changes(conn: Transaction) -> None:
    """Drop change-log entries older than the last CHANGES_KEPT (a cheap range delete)."""
    await conn.execute(
        "DELETE FROM vector_changes WHERE seq <= (SELECT max(seq) FROM vector_changes) - ?", (CHANGES_KEPT,)
    )


async def rescore(
    db: Reader,
    table: str,
    vector: bytes,
    ids: Sequence[int],
    where: str = "1",
    params: Sequence[object] = (),
    *,
    wanted: int | None = None,
) -> list[tuple[int, float]]:
    """Exact cosine similarity of `vector` to the stored vectors of `ids` whose memories pass
    `where` (a clause over `memories m`), best first; with `wanted`, only the best `wanted` that
    pass (or all there are).

    One statement: the vectors are scored and sorted alone, then the filter is checked on the best of
    them, in order, until `wanted` pass. Joining the memories into the scoring looked up every
    candidate's row (slower: bench/README.md), though the first stage already applied the project, kind
    and time clauses and only archived or expired memories fail here. The ids travel as one JSON array
    (any number of them)."""
    if not ids:
        return []
    rows = await db.fetchall(
        f"SELECT s.id, s.sim FROM (SELECT memory_id AS id, 1.0 - vec_distance_cosine(embedding, ?) AS sim "
        f"FROM {table} WHERE memory_id IN (SELECT value FROM json_each(?)) ORDER BY sim DESC, id LIMIT -1) s "
        # NOT INDEXED: look each memory up by its id; the planner would otherwise walk a project's
        # whole index for a project filter.
        f"WHERE EXISTS (SELECT 1 FROM memories m NOT INDEXED WHERE m.id = s.id AND {where}) "
        "ORDER BY s.sim DESC, s.id LIMIT ?",
        [vector, json.dumps([int(i) for i in ids]), *params, -1 if wanted is None else wanted],
    )
    return [(int(r[0]), float(r[1])) for r in rows]


async def live_table(conn: Transaction) -> str | None:
    """The live vec0 table's name as recorded, read inside the caller's transaction."""
    rows = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = 'vec_table'"))
    return checked_table(str(rows[0][0]), conn.dialect) if rows else None


async def forget_vector(conn: Transaction, memory_id: int) -> None:
    """Remove a memory's vector (its content changed or it was deleted) and mark it unembedded."""
    if conn.dialect == POSTGRES:
        await pg_indexes.forget_vector(conn, memory_id)
        return
    table = await live_table(conn)
    if table is not None:
        await conn.execute(f"DELETE FROM {table} WHERE memory_id = ?", (memory_id,))
    await conn.execute("UPDATE memories SET embedded = 0 WHERE id = ?", (memory_id,))


async def update_vector_metadata(conn: Transaction, memory_id: int, kind: str) -> None:
    """Keep the filter column of a memory's vector in step with the memory (on Postgres the filters
    read the memory itself)."""
    if conn.dialect == POSTGRES:
        return
    table = await live_table(conn)
    if table is not None:
        await conn.execute(f"UPDATE {codes_table(table)} SET kind = ? WHERE memory_id = ?", (kind, memory_id))


# -- the whole table: reindex, repair, consolidation ------------------------------------------------

#: Vector tables (and, from schemas before 3, vec0 tables), not vec0's shadow tables.
_VECTOR_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memories_vec_[0-9]*' "
    "AND name NOT GLOB 'memories_vec_*[^0-9]*'"
)


async def vector_table_names(source: QuerySource) -> list[str]:
    """The names of every vector table in the file (the live one and any an interrupted reindex left)."""
    return [str(r[0]) for r in await source.fetchall(_VECTOR_TABLES)]


async def count_vectors(source: QuerySource, table: str) -> int:
    """How many vectors `table` holds."""
    rows = await source.fetchall(f"SELECT count(*) FROM {table}")
    return int(rows[0][0] or 0) if rows else 0


async def all_vectors(source: QuerySource, table: str) -> dict[int, bytes]:
    """Every vector of `table` by memory row id."""
    return {
        int(r[0]): bytes(r[1]) for r in await source.fetchall(f"SELECT memory_id, embedding FROM {table}")
    }


async def delete_vectors(conn: Transaction, table: str, rowids: Sequence[int]) -> None:
    """Remove the vectors of `rowids` from `table`."""
    await conn.executemany(f"DELETE FROM {table} WHERE memory_id = ?", [(rowid,) for rowid in rowids])


async def mark_embedded_from(conn: Transaction, table: str) -> None:
    """Mark every live memory with a vector in `table` as embedded (after a reindex's switch)."""
    await conn.execute(
        f"UPDATE memories SET embedded = 1 WHERE {LIVE} AND id IN (SELECT memory_id FROM {table})"
    )


async def remove_orphan_vectors(conn: Transaction, table: str) -> int:
    """Remove the vectors that belong to no live memory; how many."""
    cur = await conn.execute(
        f"DELETE FROM {table} WHERE memory_id NOT IN (SELECT id FROM memories WHERE {LIVE})"
    )
    return max(cur.rowcount, 0)


async def requeue_missing_vectors(conn: Transaction, table: str) -> int:
    """Mark live memories marked embedded but without a vector in `table` for re-embedding; how many."""
    cur = await conn.execute(
        f"UPDATE memories SET embedded = 0 WHERE {LIVE} AND embedded = 1 "
        f"AND id NOT IN (SELECT memory_id FROM {table})"
    )
    return max(cur.rowcount, 0)


# -- a few vectors by id: search and browsing ----------------------------------------------------------


def vectors_statement(table: str, rowids: Sequence[int]) -> tuple[str, list[Any]]:
    """The statement reading (memory id, vector) of `rowids` (a search's few hundred candidates at
    most) from `table`, for a caller batching it with others in one trip."""
    return (
        f"SELECT memory_id, embedding FROM {table} WHERE memory_id IN ({', '.join('?' * len(rowids))})",
        list(rowids),
    )


async def vectors_of(source: QuerySource, table: str, rowids: Sequence[int]) -> dict[int, bytes]:
    """The vectors of `rowids` that `table` holds, by row id."""
    rows = await source.fetchall(
        f"SELECT memory_id, embedding FROM {table} WHERE memory_id IN ({', '.join('?' * len(rowids))})",
        list(rowids),
    )
    return {int(r[0]): bytes(r[1]) for r in rows}


async def vector_of(source: QuerySource, table: str, rowid: int) -> bytes | None:
    """One memory's vector, or None when `table` has none for it."""
    rows = await source.fetchall(f"SELECT embedding FROM {table} WHERE memory_id = ?", (rowid,))
    blob = rows[0][0] if rows else None
    return bytes(blob) if blob is not None else None
