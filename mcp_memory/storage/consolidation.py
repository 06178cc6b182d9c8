"""The rows consolidation reads and writes: the lifecycle rules, the memories a rule or an expiry
reaches, the memories near-duplicate merging compares, and archiving a memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.query import POSTGRES
from mcp_memory.storage.rows import memory_columns

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "RuleRow",
    "add_rules",
    "archive_memory",
    "brought_back",
    "expired_ids",
    "live_rows_by_id",
    "merge_candidates",
    "read_rules",
    "replace_rules",
    "rule_matches",
]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A stored lifecycle rule, as its columns hold it."""

    action: str
    older_than_days: float
    kind: str | None
    tag: str | None
    project: str | None
    importance_below: float | None


async def read_rules(source: QuerySource) -> list[RuleRow]:
    """The lifecycle rules in the order they were stored."""
    rows = await source.fetchall(
        "SELECT action, older_than_days, kind, tag, project, importance_below FROM lifecycle_rules ORDER BY id"
    )
    return [RuleRow(str(r[0]), float(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


async def replace_rules(conn: Transaction, rules: Sequence[RuleRow], now: float) -> None:
    """Replace every lifecycle rule with `rules` (none: remove them all), created at `now`."""
    await conn.execute("DELETE FROM lifecycle_rules")
    await add_rules(conn, rules, now)


async def add_rules(conn: Transaction, rules: Sequence[RuleRow], now: float) -> None:
    """Store `rules` after the lifecycle rules there are, created at `now`."""
    await conn.executemany(
        "INSERT INTO lifecycle_rules(action, older_than_days, kind, tag, project, importance_below, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(r.action, r.older_than_days, r.kind, r.tag, r.project, r.importance_below, now) for r in rules],
    )


async def rule_matches(
    source: QuerySource,
    *,
    created_before: float,
    unarchived: bool = False,
    kind: str | None = None,
    project: str | None = None,
    importance_below: float | None = None,
    tag: str | None = None,
) -> list[int]:
    """The live, unpinned memories stored before `created_before` that match every condition given
    (`unarchived`: not archived; `project`: '' is the global project), by row id. On a shared
    Postgres only the caller's own memories: a member's rules are theirs (as the rules table is),
    and never delete or archive what a teammate stored."""
    clauses = [LIVE, "pinned = 0", "created_at < ?"]
    if source.dialect == POSTGRES:
        clauses.append("owner = session_user")
    params: list[Any] = [created_before]
    if unarchived:
        clauses.append("archived_at IS NULL")
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    if project is not None:
        clauses.append("project = ?")
        params.append(project)
    if importance_below is not None:
        clauses.append("importance < ?")
        params.append(importance_below)
    if tag is not None:
        clauses.append("id IN (SELECT memory_id FROM memory_tags WHERE tag = ?)")
        params.append(tag)
    rows = await source.fetchall(f"SELECT id FROM memories WHERE {' AND '.join(clauses)} ORDER BY id", params)
    return [int(r[0]) for r in rows]


async def expired_ids(source: QuerySource, now: float) -> list[int]:
    """The live, unpinned memories whose expiry is at or before `now`, by row id."""
    rows = await source.fetchall(
        f"SELECT id FROM memories WHERE {LIVE} AND pinned = 0 AND expires_at IS NOT NULL AND expires_at <= ? "
        "ORDER BY id",
        (now,),
    )
    return [int(r[0]) for r in rows]


async def brought_back(source: QuerySource) -> set[int]:
    """The live memories that were retired once (by `supersedes` or by consolidation) and are current
    again: someone brought them back (`memory_revert`) or stated them anew."""
    rows = await source.fetchall(
        "SELECT DISTINCT v.memory_id FROM memory_versions v JOIN memories m ON m.id = v.memory_id "
        "WHERE (v.replaced_by = 'supersede' OR v.replaced_by LIKE 'superseded by %') "
        "AND m.superseded_by IS NULL AND m.deleted_at IS NULL"
    )
    return {int(r[0]) for r in rows}


async def merge_candidates(source: QuerySource) -> list[Any]:
    """The live, unarchived memories with a vector, as rows of id, project, pinned, importance,
    access_count, created_at and content (on Postgres also visibility and owner: only memories
    with the same readers may merge)."""
    team = ", visibility, owner" if source.dialect == POSTGRES else ""
    return await source.fetchall(
        f"SELECT id, project, pinned, importance, access_count, created_at, content{team} FROM memories "
        f"WHERE {LIVE} AND archived_at IS NULL AND embedded = 1"
    )


async def live_rows_by_id(source: QuerySource, rowids: Sequence[int]) -> dict[int, Any]:
    """The rows (`memory_columns`) of the memories of `rowids` that are still live, by row id."""
    rows = await source.fetchall(
        f"SELECT {memory_columns(source.dialect)} FROM memories WHERE id IN ({', '.join('?' * len(rowids))}) AND {LIVE}",
        list(rowids),
    )
    return {int(r["id"]): r for r in rows}


async def archive_memory(conn: Transaction, rowid: int, now: float) -> None:
    """Archive a memory (hidden from search, kept in listings by request) as a new version."""
    await conn.execute(
        "UPDATE memories SET archived_at = ?, version = version + 1, updated_at = ? WHERE id = ?",
        (now, now, rowid),
    )
