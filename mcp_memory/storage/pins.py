"""Pins: the memories marked to come first in context, with the note saying why."""

from __future__ import annotations

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.query import QuerySource, Transaction

__all__ = ["pinned_ids", "set_pin"]


async def set_pin(conn: Transaction, memory_id: int, pinned: bool, note: str | None, now: float) -> bool:
    """Pin (with `note`) or unpin a live memory; False when there is no such live memory."""
    cursor = await conn.execute(
        f"UPDATE memories SET pinned = ?, pin_note = ?, updated_at = ? WHERE id = ? AND {LIVE}",
        (int(pinned), note, now, memory_id),
    )
    return cursor.rowcount != 0


async def pinned_ids(source: QuerySource, flt: MemoryFilter, limit: int) -> list[int]:
    """The row ids of the pinned memories passing `flt`, most recently changed first, at most `limit`."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE m.pinned = 1 AND {where} "
        "ORDER BY m.updated_at DESC, m.id DESC LIMIT ?",
        [*params, limit],
    )
    return [int(r[0]) for r in rows]
