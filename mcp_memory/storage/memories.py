"""The memory rows and their tags: reading them by id, by content hash or by filter, and writing them
(insert, rewrite, soft delete, purge) inside the caller's transaction.

Reads take a `QuerySource`, writes a `Transaction`. Rows come back as the engine's rows of
`memory_columns` (read by column name); what a memory means is the services' business. Nothing here
imports the connection layer, so the command line's quick commands can run these reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.keyword_rows import match_clause
from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction
from mcp_memory.storage.rows import memory_columns

__all__ = [
    "CHUNK",
    "bump_version",
    "counts_by_project",
    "filtered_ids",
    "insert_memory",
    "known_ids",
    "live_id_by_hash",
    "live_row_by_hash",
    "live_rows_with_tags",
    "mark_deleted",
    "mark_superseded",
    "newest_ids",
    "purge_memories",
    "rewrite_memory",
    "rows_by_id",
    "session_member",
    "set_tags",
    "tags_by_id",
]

#: Ids bound in one statement: well below SQLite's limit of bound parameters.
CHUNK = 500


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _tags_statement(ids: Sequence[int]) -> tuple[str, list[int]]:
    return (
        f"SELECT memory_id, tag FROM memory_tags WHERE memory_id IN ({_marks(len(ids))}) ORDER BY memory_id, tag",
        list(ids),
    )


def _group_tags(rows: Sequence[Any], ids: Sequence[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {i: [] for i in ids}
    for row in rows:
        result.setdefault(int(row[0]), []).append(str(row[1]))
    return result


# -- reads ---------------------------------------------------------------------------------------


async def tags_by_id(source: QuerySource, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each memory's tags in order, by row id (an empty list for a memory without tags)."""
    if not ids:
        return {}
    sql, params = _tags_statement(ids)
    return _group_tags(await source.fetchall(sql, params), ids)


async def live_rows_with_tags(
    source: QuerySource, ids: Sequence[int]
) -> tuple[list[Any], dict[int, list[str]]]:
    """The live rows among `ids` (`MEMORY_COLUMNS`) and the tags of `ids`, in one trip to the
    source (two statements through `fetch_many`)."""
    if not ids:
        return [], {}
    rows, tag_rows = await source.fetch_many(
        [
            (
                f"SELECT {memory_columns(source.dialect)} FROM memories "
                f"WHERE id IN ({_marks(len(ids))}) AND {LIVE}",
                list(ids),
            ),
            _tags_statement(ids),
        ]
    )
    return list(rows), _group_tags(tag_rows, ids)


async def rows_by_id(source: QuerySource, ids: Sequence[int]) -> dict[int, Any]:
    """The rows (`MEMORY_COLUMNS`) of `ids`, deleted ones included, by row id."""
    if not ids:
        return {}
    rows = await source.fetchall(
        f"SELECT {memory_columns(source.dialect)} FROM memories WHERE id IN ({_marks(len(ids))})",
        list(ids),
    )
    return {int(r["id"]): r for r in rows}


def _same_readers(source: QuerySource, visibility: str | None) -> tuple[str, list[Any]]:
    """On a shared Postgres, the condition that a row has the readers a new memory of `visibility`
    would have: the team's, or the caller's own private ones (an identical memory with other
    readers is not a duplicate: merging into it would share private tags, or keep from the team
    what was meant for it)."""
    if source.dialect != POSTGRES or visibility is None:
        return "", []
    return " AND visibility = ? AND (visibility = 'team' OR owner = session_user)", [visibility]


async def live_row_by_hash(
    source: QuerySource, project: str, digest: str, visibility: str | None = None
) -> Any | None:
    """The live row (`memory_columns`) in `project` whose content has this hash (on Postgres with
    the readers `visibility` gives), or None."""
    same, params = _same_readers(source, visibility)
    rows = await source.fetchall(
        f"SELECT {memory_columns(source.dialect)} FROM memories "
        f"WHERE project = ? AND content_hash = ? AND {LIVE}{same} LIMIT 1",
        (project, digest, *params),
    )
    return next(iter(rows), None)


async def live_id_by_hash(
    source: QuerySource, project: str, digest: str, visibility: str | None = None
) -> int | None:
    """The row id of the live memory in `project` whose content has this hash (on Postgres with
    the readers `visibility` gives), or None."""
    same, params = _same_readers(source, visibility)
    rows = await source.fetchall(
        f"SELECT id FROM memories WHERE project = ? AND content_hash = ? AND {LIVE}{same} LIMIT 1",
        (project, digest, *params),
    )
    return int(rows[0][0]) if rows else None


async def known_ids(source: QuerySource, ids: Sequence[int], *, include_deleted: bool = False) -> set[int]:
    """Which of `ids` are memories (live ones only unless `include_deleted`)."""
    if not ids:
        return set()
    condition = "" if include_deleted else f" AND {LIVE}"
    rows = await source.fetchall(
        f"SELECT id FROM memories WHERE id IN ({_marks(len(ids))}){condition}", list(ids)
    )
    return {int(r[0]) for r in rows}


async def newest_ids(source: QuerySource, flt: MemoryFilter, limit: int) -> list[int]:
    """The row ids of the memories passing `flt`, newest first, at most `limit`."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        [*params, limit],
    )
    return [int(r[0]) for r in rows]


async def filtered_ids(source: QuerySource, flt: MemoryFilter, limit: int) -> list[int]:
    """The row ids of the memories passing `flt`, in id order, at most `limit`."""
    where, params = flt.sql("m")
    rows = await source.fetchall(
        f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.id LIMIT ?", [*params, limit]
    )
    return [int(r[0]) for r in rows]


async def counts_by_project(
    source: QuerySource,
    flt: MemoryFilter,
    *,
    excluded: Sequence[str],
    words: Sequence[str] = (),
    limit: int,
) -> dict[str, int]:
    """How many memories pass `flt` in each project outside `excluded` ('' is global), most first
    (then by name), at most `limit` projects; with `words`, only those holding any of them."""
    where, params = flt.sql("m")
    sql = f"SELECT m.project, count(*) FROM memories m WHERE {where}"
    if excluded:
        sql += f" AND m.project NOT IN ({_marks(len(excluded))})"
        params = [*params, *excluded]
    if words:
        clause, values = match_clause("m", words, source.dialect)
        sql += f" AND {clause}"
        params = [*params, *values]
    rows = await source.fetchall(
        sql + " GROUP BY m.project ORDER BY count(*) DESC, m.project LIMIT ?", [*params, limit]
    )
    return {str(r[0]): int(r[1]) for r in rows}


# -- writes --------------------------------------------------------------------------------------


async def insert_memory(
    conn: Transaction,
    *,
    content: str,
    content_hash: str,
    kind: str,
    importance: float,
    metadata: str,
    project: str,
    pinned: bool,
    created_at: float,
    updated_at: float,
    expires_at: float | None,
    visibility: str = "team",
) -> int:
    """Insert a memory row (no tags, not embedded) and answer its row id. `visibility` is a column of
    the shared (Postgres) schema only: on the SQLite file every memory is its one user's."""
    shared = conn.dialect == POSTGRES
    rows = await conn.execute_fetchall(
        "INSERT INTO memories(content, content_hash, kind, importance, metadata, project, pinned, created_at, "
        f"updated_at, expires_at{', visibility' if shared else ''}) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' if shared else ''}) RETURNING id",
        (
            content,
            content_hash,
            kind,
            importance,
            metadata,
            project,
            int(pinned),
            created_at,
            updated_at,
            expires_at,
            *((visibility,) if shared else ()),
        ),
    )
    return int(rows[0][0])


async def set_tags(conn: Transaction, memory_id: int, tags: Sequence[str], *, new: bool = False) -> None:
    """Replace a memory's tags (`new`: it was just inserted and has none yet)."""
    if not new:
        await conn.execute("DELETE FROM memory_tags WHERE memory_id = ?", (memory_id,))
    if tags:
        await conn.executemany(
            "INSERT INTO memory_tags(memory_id, tag) VALUES (?, ?)", [(memory_id, t) for t in tags]
        )


async def bump_version(conn: Transaction, memory_id: int, now: float) -> None:
    """Count a new version of a memory whose other columns did not change (its tags did)."""
    await conn.execute(
        "UPDATE memories SET version = version + 1, updated_at = ? WHERE id = ?", (now, memory_id)
    )


async def rewrite_memory(
    conn: Transaction,
    memory_id: int,
    *,
    content: str,
    content_hash: str,
    kind: str,
    importance: float,
    metadata: str,
    now: float,
    undelete: bool = False,
    visibility: str | None = None,
) -> None:
    """Give a memory these columns as a new version (`undelete`: and bring it back if deleted or
    superseded;
    `visibility`, on a shared Postgres: who may read it from now on)."""
    # Bringing one back also brings back a memory a newer one retired (`superseded_by`).
    restore = (
        "deleted_at = NULL, archived_at = CASE WHEN superseded_by IS NULL THEN archived_at END, "
        "superseded_by = NULL, "
        if undelete
        else ""
    )
    shared = visibility is not None and conn.dialect == POSTGRES
    await conn.execute(
        "UPDATE memories SET content = ?, content_hash = ?, kind = ?, importance = ?, metadata = ?, "
        f"{restore}{'visibility = ?, ' if shared else ''}updated_at = ?, version = version + 1 WHERE id = ?",
        (
            content,
            content_hash,
            kind,
            importance,
            metadata,
            *((visibility,) if shared else ()),
            now,
            memory_id,
        ),
    )


async def session_member(source: QuerySource) -> str | None:
    """The member (role) this connection acts as on a shared Postgres; None on the SQLite file."""
    if source.dialect != POSTGRES:
        return None
    rows = await source.fetchall("SELECT current_user")
    return str(rows[0][0])


async def mark_deleted(conn: Transaction, memory_id: int, now: float) -> None:
    """Mark a memory deleted (recoverably) as a new version."""
    await conn.execute(
        "UPDATE memories SET deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ?",
        (now, now, memory_id),
    )


async def mark_superseded(conn: Transaction, memory_id: int, by: int | None, now: float) -> None:
    """Retire a memory in favour of the newer one `by` (it leaves search, context and listings, as
    an archived one does), or bring it back (`by` None), as a new version."""
    await conn.execute(
        "UPDATE memories SET superseded_by = ?, archived_at = ?, updated_at = ?, version = version + 1 "
        "WHERE id = ?",
        (by, now if by is not None else None, now, memory_id),
    )


async def purge_memories(conn: Transaction, memory_ids: Sequence[int]) -> None:
    """Delete memory rows for good. Triggers remove their keyword and vector entries; foreign keys
    cascade to tags, versions and graph links."""
    for start in range(0, len(memory_ids), CHUNK):
        part = list(memory_ids[start : start + CHUNK])
        await conn.execute(f"DELETE FROM memories WHERE id IN ({_marks(len(part))})", part)
