"""The memory rows the embedding worker and a reindex read: what waits for a vector, every live
memory in batches, and the content hashes that say whether a memory changed while it was embedded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcp_memory.storage.ids import LIVE

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource, Transaction

__all__ = ["live_batch", "live_hashes", "mark_all_unembedded", "unembedded_batch", "unembedded_hashes"]

_COLUMNS = "id, content, content_hash, project, kind, created_at"


async def unembedded_batch(source: QuerySource, limit: int) -> list[Any]:
    """Up to `limit` live memories without a vector, oldest first, as rows of id, content,
    content_hash, project, kind and created_at."""
    return await source.fetchall(
        f"SELECT {_COLUMNS} FROM memories WHERE embedded = 0 AND {LIVE} ORDER BY id LIMIT ?", (limit,)
    )


async def unembedded_hashes(source: QuerySource, rowids: Sequence[int]) -> list[tuple[int, str]]:
    """(row id, content hash) of the memories of `rowids` that are live and still without a vector."""
    rows = await source.fetchall(
        f"SELECT id, content_hash FROM memories WHERE id IN ({', '.join('?' * len(rowids))}) "
        f"AND embedded = 0 AND {LIVE}",
        list(rowids),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def live_batch(source: QuerySource, after: int, limit: int) -> list[Any]:
    """Up to `limit` live memories with a row id above `after`, in id order, as the rows of
    `unembedded_batch`."""
    return await source.fetchall(
        f"SELECT {_COLUMNS} FROM memories WHERE {LIVE} AND id > ? ORDER BY id LIMIT ?", (after, limit)
    )


async def live_hashes(source: QuerySource) -> list[tuple[int, str]]:
    """(row id, content hash) of every live memory."""
    rows = await source.fetchall(f"SELECT id, content_hash FROM memories WHERE {LIVE}")
    return [(int(r[0]), str(r[1])) for r in rows]


async def mark_all_unembedded(conn: Transaction) -> None:
    """Mark every memory as waiting for its vector (a reindex's switch, before marking those it has)."""
    await conn.execute("UPDATE memories SET embedded = 0")
