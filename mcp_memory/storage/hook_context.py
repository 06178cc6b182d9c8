"""What the hooks read of memories and episodes: the rows of the session-start block, the number of
memories a prompt's words are weighed among, and whether a command-fix lesson is stored already.

Queries only the hooks run, beside the hooks' own tables (`hook_state`); which memories, how many and
in what order of merit is the hooks' choice (`mcp_memory.hooks.recall`), made with the arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.query import POSTGRES

if TYPE_CHECKING:
    from mcp_memory.storage.filters import MemoryFilter
    from mcp_memory.storage.query import QuerySource

__all__ = [
    "live_count",
    "pinned",
    "recent_lessons",
    "stored_lesson",
    "stored_since",
    "worth_knowing",
]


async def live_count(source: QuerySource) -> int:
    """How many memories are not deleted (the keyword index holds exactly these)."""
    if source.dialect == POSTGRES:
        from mcp_memory.storage.postgres.search import LIVE_ROWS

        rows = await source.fetchall(LIVE_ROWS)
    else:
        rows = await source.fetchall(f"SELECT count(*) FROM memories WHERE {LIVE}")
    return int(rows[0][0])


async def pinned(source: QuerySource, flt: MemoryFilter, limit: int) -> list[Any]:
    """Rows (id, content, kind, pin_note, created_at) of the pinned memories `flt` admits, most important first
    (then newest)."""
    where, params = flt.sql("m")
    return await source.fetchall(
        f"SELECT m.id, m.content, m.kind, m.pin_note, m.created_at FROM memories m WHERE m.pinned = 1 AND {where} "
        "ORDER BY m.importance DESC, m.id DESC LIMIT ?",
        [*params, limit],
    )


async def stored_since(source: QuerySource, flt: MemoryFilter, since: float, limit: int) -> list[Any]:
    """Rows (id, content, kind, created_at) of the memories `flt` admits stored at or after `since`,
    oldest first."""
    where, params = flt.sql("m")
    return await source.fetchall(
        f"SELECT m.id, m.content, m.kind, m.created_at FROM memories m WHERE m.created_at >= ? AND {where} "
        "ORDER BY m.id LIMIT ?",
        [since, *params, limit],
    )


async def worth_knowing(
    source: QuerySource, flt: MemoryFilter, kinds: Sequence[str], limit: int
) -> list[Any]:
    """Rows (id, content, kind, importance, created_at, access_count, recurrences: how often the
    failure a hook lesson fixes came back) of the unpinned memories of `kinds` that `flt` admits, most
    important first (then newest)."""
    where, params = flt.sql("m")
    marks = ", ".join("?" * len(kinds))
    recurrences = (
        "coalesce((m.metadata::jsonb ->> 'recurrences')::int, 0)"
        if source.dialect == POSTGRES
        else "coalesce(json_extract(m.metadata, '$.recurrences'), 0)"
    )
    return await source.fetchall(
        "SELECT m.id, m.content, m.kind, m.importance, m.created_at, m.access_count, "
        f"{recurrences} AS recurrences FROM memories m "
        f"WHERE m.kind IN ({marks}) AND m.pinned = 0 AND {where} "
        "ORDER BY m.importance DESC, m.created_at DESC LIMIT ?",
        [*kinds, *params, limit],
    )


async def recent_lessons(
    source: QuerySource, project: str, outcomes: Sequence[str], since: float, limit: int
) -> list[Any]:
    """Rows (id, lesson, outcome, lesson_memory_id) of the episodes of `project` or global ones that
    ended with one of `outcomes` after `since` and have a lesson, newest first."""
    marks = ", ".join("?" * len(outcomes))
    return await source.fetchall(
        f"SELECT id, lesson, outcome, lesson_memory_id FROM episodes WHERE outcome IN ({marks}) "
        "AND lesson IS NOT NULL AND completed_at > ? AND project IN (?, '') ORDER BY completed_at DESC LIMIT ?",
        [*outcomes, since, project, limit],
    )


async def stored_lesson(source: QuerySource, pair: str) -> int | None:
    """The live lesson memory that carries `pair` as its `hook_pair` (the key of a failed command and
    the one that fixed it), if one does."""
    pair_of = (
        "metadata::jsonb ->> 'hook_pair'"
        if source.dialect == POSTGRES
        else "json_extract(metadata, '$.hook_pair')"
    )
    rows = await source.fetchall(
        f"SELECT id FROM memories WHERE {LIVE} AND kind = 'lesson' AND {pair_of} = ? ORDER BY id LIMIT 1",
        (pair,),
    )
    return int(rows[0][0]) if rows else None
