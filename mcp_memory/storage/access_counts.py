"""Counting reads of memories (`rows.ACCESS_UPDATE`): a batch of them in the caller's transaction, or
at once on a plain sqlite3 connection (the quick command line's `get`, which has no `Database`).

Light to import: the quick command line must not load the connection layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mcp_memory.storage.inline import run_inline
from mcp_memory.storage.rows import ACCESS_UPDATE

if TYPE_CHECKING:
    import sqlite3

    from mcp_memory.storage.query import Transaction

__all__ = ["count_reads", "count_reads_now"]


async def count_reads(conn: Transaction, rowids: Sequence[int], when: float) -> None:
    """Count one read at `when` of each memory of `rowids`, in the caller's transaction."""
    await conn.executemany(ACCESS_UPDATE, [(when, rowid) for rowid in rowids])


def count_reads_now(conn: sqlite3.Connection, rowids: Sequence[int], when: float) -> None:
    """`count_reads` in a write transaction of its own on a plain connection, committed at once;
    rolled back (and the error raised) when it fails, a busy database included."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        run_inline(conn, lambda transaction: count_reads(transaction, rowids, when))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
