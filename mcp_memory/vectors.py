"""The vector index: a sqlite-vec `vec0` table of one vector per memory, plus the record in `meta` of
which model made the vectors (id, dimension, file checksum) and which table holds them.

The table's name lives in `meta` so that a reindex can build a new table beside the old one and
switch in one transaction: an interrupted reindex leaves the old index working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from mcp_memory.db import Database
from mcp_memory.errors import ModelMismatch

__all__ = [
    "VectorIndexInfo",
    "activate_vector_table",
    "check_model",
    "create_vector_table",
    "drop_vector_table",
    "ensure_vector_index",
    "forget_vector",
    "live_table",
    "mismatch_message",
    "read_vector_info",
    "update_vector_metadata",
    "write_vectors",
]

_KEYS = ("embedding_model", "embedding_dim", "embedding_checksum", "vec_table")


@dataclass(frozen=True, slots=True)
class VectorIndexInfo:
    """What `meta` says about the vectors."""

    model: str
    dim: int
    checksum: str
    table: str


async def _read_meta(conn: aiosqlite.Connection | Database) -> VectorIndexInfo | None:
    sql = f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(_KEYS))})"
    if isinstance(conn, Database):
        rows = await conn.fetchall(sql, _KEYS)
    else:
        rows = list(await conn.execute_fetchall(sql, _KEYS))
    values = {str(r[0]): str(r[1]) for r in rows}
    if "vec_table" not in values:
        return None
    return VectorIndexInfo(
        model=values.get("embedding_model", ""),
        dim=int(values.get("embedding_dim", "0")),
        checksum=values.get("embedding_checksum", ""),
        table=values["vec_table"],
    )


async def read_vector_info(db: Database) -> VectorIndexInfo | None:
    """The recorded model and table, or None if no vectors were ever written."""
    return await _read_meta(db)


def _table_sql(table: str, dim: int) -> str:
    # project, kind and created_at are metadata columns so filters run inside the KNN scan.
    return (
        f"CREATE VIRTUAL TABLE {table} USING vec0("
        f"memory_id INTEGER PRIMARY KEY, embedding float[{int(dim)}] distance_metric=cosine, "
        "project TEXT, kind TEXT, created_at FLOAT)"
    )


async def create_vector_table(conn: aiosqlite.Connection, table: str, dim: int) -> None:
    """Create an empty vec0 table (inside the caller's transaction)."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"bad table name {table!r}")
    await conn.execute(_table_sql(table, dim))


async def drop_vector_table(conn: aiosqlite.Connection, table: str) -> None:
    """Drop a vec0 table and its delete trigger (inside the caller's transaction)."""
    await conn.execute("DROP TRIGGER IF EXISTS memories_vec_on_delete")
    await conn.execute(f"DROP TABLE IF EXISTS {table}")


async def activate_vector_table(
    conn: aiosqlite.Connection, table: str, model: str, dim: int, checksum: str
) -> None:
    """Make `table` the live vector index for `model` (inside the caller's transaction)."""
    await conn.execute("DROP TRIGGER IF EXISTS memories_vec_on_delete")
    await conn.execute(
        "CREATE TRIGGER memories_vec_on_delete AFTER DELETE ON memories BEGIN "
        f"DELETE FROM {table} WHERE memory_id = old.id; END"
    )
    await conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [
            ("embedding_model", model),
            ("embedding_dim", str(dim)),
            ("embedding_checksum", checksum),
            ("vec_table", table),
        ],
    )


async def ensure_vector_index(db: Database, model: str, dim: int, checksum: str) -> VectorIndexInfo:
    """The live index for `model`, created on first use; ModelMismatch if another model made it."""

    async def work(conn: aiosqlite.Connection) -> VectorIndexInfo:
        info = await _read_meta(conn)
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
    conn: aiosqlite.Connection,
    info: VectorIndexInfo,
    rows: Sequence[tuple[int, bytes, str, str, float]],
) -> None:
    """Insert or replace vectors (memory id, blob, project, kind, created_at) and mark the memories
    embedded, inside the caller's transaction. Refuses when the live index changed under us (another
    process reindexed) or a vector has the wrong size."""
    current = await _read_meta(conn)
    if current is None or current.table != info.table or current.model != info.model:
        raise ModelMismatch(mismatch_message(current.model if current else "?", info.model))
    for memory_id, blob, _, _, _ in rows:
        if len(blob) != info.dim * 4:
            raise ModelMismatch(
                f"a vector for m_{memory_id} has {len(blob) // 4} dimensions but the index holds {info.dim}; "
                "run `mcp-memory reindex`."
            )
    ids = [(r[0],) for r in rows]
    await conn.executemany(f"DELETE FROM {info.table} WHERE memory_id = ?", ids)
    await conn.executemany(
        f"INSERT INTO {info.table}(memory_id, embedding, project, kind, created_at) VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    await conn.executemany("UPDATE memories SET embedded = 1 WHERE id = ?", ids)


async def live_table(conn: aiosqlite.Connection) -> str | None:
    """The live vec0 table's name as recorded, read inside the caller's transaction."""
    rows = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = 'vec_table'"))
    return str(rows[0][0]) if rows else None


async def forget_vector(conn: aiosqlite.Connection, memory_id: int) -> None:
    """Remove a memory's vector (its content changed or it was deleted) and mark it unembedded."""
    table = await live_table(conn)
    if table is not None:
        await conn.execute(f"DELETE FROM {table} WHERE memory_id = ?", (memory_id,))
    await conn.execute("UPDATE memories SET embedded = 0 WHERE id = ?", (memory_id,))


async def update_vector_metadata(conn: aiosqlite.Connection, memory_id: int, kind: str) -> None:
    """Keep the filter column of a memory's vector in step with the memory."""
    table = await live_table(conn)
    if table is not None:
        await conn.execute(f"UPDATE {table} SET kind = ? WHERE memory_id = ?", (kind, memory_id))
