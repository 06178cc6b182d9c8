"""The keyword index's rows for memories (FTS5, SQLite only): rewritten by the transaction that
writes the memory, so a memory the caller saw stored is found by its words at once.

How the keyword stage queries the index is `mcp_memory.storage.keywords`; this module only keeps the
index in step with `memories` and names the condition "the index matches this expression".
"""

from __future__ import annotations

from collections.abc import Sequence

from mcp_memory.storage.ids import live
from mcp_memory.storage.postgres.search import any_word_query
from mcp_memory.storage.query import POSTGRES, Transaction

__all__ = [
    "KEYWORD_ROWS",
    "drop_keyword_row",
    "match_clause",
    "match_expression",
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


def match_expression(words: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression holding any of `words`, each a quoted term (None for no words)."""
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def match_clause(alias: str, words: Sequence[str], dialect: str = "sqlite") -> tuple[str, list[str]]:
    """The condition that the memory under `alias` holds any of `words` as the keyword index stems
    them, and its parameters, in `dialect`."""
    if not alias.isidentifier():
        raise ValueError(f"bad table alias {alias!r}")
    if dialect == POSTGRES:
        return f"{alias}.search @@ {any_word_query(words)}", list(words)
    return f"{alias}.id IN (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?)", [
        match_expression(words) or '""'
    ]


async def sync_keyword_index(conn: Transaction, memory_id: int) -> None:
    """Rewrite a memory's row in the keyword index from the memory and its tags (in the caller's
    transaction); a deleted memory is left out of it."""
    await sync_keyword_index_many(conn, [memory_id])


async def sync_keyword_index_many(conn: Transaction, memory_ids: Sequence[int]) -> None:
    """`sync_keyword_index` for several memories, two statements per 500 ids. On Postgres the
    keyword vector is a generated column of the memory, so there is nothing to write."""
    if conn.dialect == POSTGRES:
        return
    for start in range(0, len(memory_ids), _CHUNK):
        part = list(memory_ids[start : start + _CHUNK])
        marks = ", ".join("?" * len(part))
        await conn.execute(f"DELETE FROM memories_fts WHERE rowid IN ({marks})", part)
        await conn.execute(KEYWORD_ROWS + f" AND id IN ({marks})", part)


async def drop_keyword_row(conn: Transaction, memory_id: int) -> None:
    """Take a memory out of the keyword index (it was deleted, recoverably; on Postgres the
    searches' live condition leaves it out)."""
    if conn.dialect == POSTGRES:
        return
    await conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (memory_id,))
