"""The keyword and vector indexes on Postgres, on their writing side.

Both live in the memory's own row, so the row-level security policy that guards the memory guards
them too: the keyword vector is a generated column (`search`, from the content and `tags_text`, which
a trigger on `memory_tags` keeps in step), so there is nothing to write; the vector is the
`embedding` column, written by the transaction that stores the memory. `meta` records which model
made the vectors, as on SQLite, with the memories table as their table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.errors import ModelMismatch
from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "VECTOR_TABLE",
    "as_vector",
    "forget_vector",
    "record_vector_model",
    "schema_dimension",
    "write_vectors",
]

#: What `meta`'s `vec_table` says on Postgres: a view of the memories table's `embedding` column
#: (memory id, vector) that runs as the reader, so its row policies apply.
VECTOR_TABLE = "memory_vectors"


def as_vector(blob: bytes) -> Any:
    """A float32 blob as the value pgvector's adapter binds to a `vector` parameter."""
    import numpy as np

    return np.frombuffer(blob, dtype="<f4")


async def schema_dimension(source: QuerySource) -> int:
    """The vector size the team schema was made for (`team setup`)."""
    rows = await source.fetchall("SELECT value FROM meta WHERE key = 'vector_dimension'")
    return int(rows[0][0]) if rows else 0


async def record_vector_model(conn: Transaction, model: str, dim: int, checksum: str) -> None:
    """Record the model whose vectors the memories hold, the first time one is written (when `team
    setup` did not record it already)."""
    size = await schema_dimension(conn)
    if size and size != dim:
        raise ModelMismatch(
            f"this team database holds vectors of {size} numbers, but model {model!r} makes {dim}; use the "
            "model the team set it up for (MCP_MEMORY_EMBEDDING_MODEL), or set up a database for this one."
        )
    # Members may not write `meta`: the schema's function records the model once, and refuses vectors
    # of another size.
    await conn.execute("SELECT record_vector_model(?, ?, ?)", (model, dim, checksum))


async def write_vectors(conn: Transaction, rows: Sequence[tuple[int, bytes, str, str, float]]) -> None:
    """Set the vectors of memories (id, float32 blob, ...) and mark them embedded."""
    await conn.executemany(
        "UPDATE memories SET embedding = ?, embedded = 1 WHERE id = ?",
        [(as_vector(r[1]), r[0]) for r in rows],
    )


async def forget_vector(conn: Transaction, memory_id: int) -> None:
    """Clear a memory's vector (its content changed or it was deleted) and mark it unembedded."""
    await conn.execute("UPDATE memories SET embedding = NULL, embedded = 0 WHERE id = ?", (memory_id,))
