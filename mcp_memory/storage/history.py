"""The versions of memories: the state a memory had before each change, written by the transaction
that changes it, and read back for history, revert and `memory_get`'s `include_history`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction

__all__ = ["record_version", "version_rows", "version_state"]

#: The columns of `memory_versions` a version is built from.
_VERSION_COLUMNS = "memory_id, version, content, tags, kind, importance, metadata, valid_from, replaced_at, replaced_by, changed"


async def record_version(
    conn: Transaction,
    row: Any,
    tags: Sequence[str],
    replaced_by: str,
    changed: Sequence[str],
    now: float,
) -> None:
    """Keep the state `row` (of `memory_columns`) had before a change: its tags, why it was replaced
    and which fields changed. On SQLite a version already kept under that number is overwritten; on
    Postgres a version is written once (members may not rewrite history) and keeps the visibility
    the memory has before the change (the schema's trigger), so a memory shared later does not share
    its private past."""
    values = (
        row["id"],
        row["version"],
        row["content"],
        json.dumps(list(tags)),
        row["kind"],
        row["importance"],
        row["metadata"],
        row["updated_at"],
        now,
        replaced_by,
        json.dumps(list(changed)),
    )
    on_conflict = (
        "DO NOTHING"
        if conn.dialect == POSTGRES
        else "DO UPDATE SET content = excluded.content, tags = excluded.tags, kind = excluded.kind, "
        "importance = excluded.importance, metadata = excluded.metadata, valid_from = excluded.valid_from, "
        "replaced_at = excluded.replaced_at, replaced_by = excluded.replaced_by, changed = excluded.changed"
    )
    await conn.execute(
        f"INSERT INTO memory_versions({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT (memory_id, version) {on_conflict}",
        values,
    )


async def version_rows(source: QuerySource, memory_ids: Sequence[int]) -> list[Any]:
    """The kept versions of these memories, by memory, newest first (tags and changed as JSON text;
    on Postgres with `changed_by`, the member whose change replaced each)."""
    if not memory_ids:
        return []
    marks = ", ".join("?" * len(memory_ids))
    columns = f"{_VERSION_COLUMNS}, changed_by" if source.dialect == POSTGRES else _VERSION_COLUMNS
    return await source.fetchall(
        f"SELECT {columns} FROM memory_versions WHERE memory_id IN ({marks}) "
        "ORDER BY memory_id, version DESC",
        list(memory_ids),
    )


async def version_state(source: QuerySource, memory_id: int, version: int) -> Any | None:
    """What a kept version held (content, tags as JSON text, kind, importance, metadata), or None."""
    rows = await source.fetchall(
        "SELECT content, tags, kind, importance, metadata FROM memory_versions WHERE memory_id = ? AND version = ?",
        (memory_id, version),
    )
    return next(iter(rows), None)
