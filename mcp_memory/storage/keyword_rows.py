"""The keyword index's rows for memories (FTS5, SQLite only): rewritten by the transaction that
writes the memory, so a memory the caller saw stored is found by its words at once.

How the keyword stage queries the index is `mcp_memory.storage.keywords`; this module only keeps the
index in step with `memories`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcp_memory.storage.ids import live
from mcp_memory.storage.query import Transaction

__all__ = [
    "KEYWORD_ROWS",
    "sync_keyword_index",
    "sync_keyword_index_many",
]

#: The keyword-index rows of live memories: content, and tags joined by spaces.
KEYWORD_ROWS = (
    "INSERT INTO memories_fts(rowid, content, tags) "
    "SELECT id, content, coalesce((SELECT group_concat(tag, ' ') FROM memory_tags WHERE memory_id = m.id), '') "
    f"FROM memories m WHERE {live('m')}"
)

#: Ids per pair of statements.
_CHUNK = 500


async def sync_keyword_index(conn: Transaction, memory_id: int) -> None:
    """Rewrite a memory's row in the keyword index from the memory and its tags (in the caller's
    transaction); a deleted memory is left out of it."""
    await sync_keyword_index_many(conn, [memory_id])


async def sync_keyword_index_many(conn: Transaction, memory_ids: Sequence[int]) -> None:
    """`sync_keyword_index` for several memories, two statements per 500 ids."""
    for start in range(0, len(memory_ids), _CHUNK):
        part = list(memory_ids[start : start + _CHUNK])
        marks = ", ".join("?" * len(part))
        await conn.execute(f"DELETE FROM memories_fts WHERE rowid IN ({marks})", part)
        await conn.execute(KEYWORD_ROWS + f" AND id IN ({marks})", part)
