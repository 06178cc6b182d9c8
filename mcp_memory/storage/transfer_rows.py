"""The rows only moving data in and out touches: an export reads every row of each table in a stable
order, an import writes memories and episodes whole, with the id they had in the exported store when
that id is free here (on SQLite; a shared Postgres numbers its rows itself), and recognises what is
already stored.

Reads take a `QuerySource`, writes a `Transaction`; rows come back as the engine's rows (read by
column name) or plain values. What a record means, and when one counts as already present, is the
transfer service's business (`mcp_memory.services.transfer`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction
from mcp_memory.storage.rows import MEMORY_COLUMNS

__all__ = [
    "EpisodeImport",
    "MemoryImport",
    "MemoryKey",
    "add_version",
    "all_entities",
    "all_episodes",
    "all_links",
    "all_memories",
    "all_observations",
    "all_relations",
    "all_steps",
    "all_tags",
    "all_versions",
    "episode_started_near",
    "insert_episode_row",
    "insert_memory_row",
    "memory_keys",
    "set_superseded_by",
]


@dataclass(frozen=True, slots=True)
class MemoryKey:
    """What tells a stored memory from another with the same text: its project and when it was stored."""

    rowid: int
    project: str
    content_hash: str
    created_at: float


@dataclass(frozen=True, slots=True)
class MemoryImport:
    """A memory row written whole by an import (its tags, index entries and vector come after)."""

    content: str
    content_hash: str
    kind: str
    importance: float
    metadata: str  # JSON text
    project: str
    pinned: bool
    pin_note: str | None
    created_at: float
    updated_at: float
    last_accessed_at: float | None
    access_count: int
    expires_at: float | None
    deleted_at: float | None
    archived_at: float | None
    version: int
    #: Who may read it on a shared Postgres ('team' or 'private'); SQLite has no such column.
    visibility: str = "team"


@dataclass(frozen=True, slots=True)
class EpisodeImport:
    """An episode row written whole by an import (its steps come after; no vector)."""

    task: str
    context: str
    preconditions: Sequence[str]
    project: str
    tags: Sequence[str]
    outcome: str | None
    reward: float | None
    lesson: str | None
    reflection: str | None
    lesson_memory_id: int | None
    started_at: float
    completed_at: float | None
    #: Who may read it on a shared Postgres ('team' or 'private'); SQLite has no such column.
    visibility: str = "team"


def _grouped(rows: Sequence[Any]) -> dict[int, list[Any]]:
    """The second column of (id, value) rows, by id, in row order."""
    result: dict[int, list[Any]] = {}
    for row in rows:
        result.setdefault(int(row[0]), []).append(row[1])
    return result


# -- the export's reads: every row, in a stable order -----------------------------------------------


async def all_memories(source: QuerySource) -> list[Any]:
    """Every memory row (`MEMORY_COLUMNS` and `deleted_at`), deleted ones included, by row id."""
    return await source.fetchall(f"SELECT {MEMORY_COLUMNS}, deleted_at FROM memories ORDER BY id")


async def all_tags(source: QuerySource) -> dict[int, list[str]]:
    """Every memory's tags in order, by row id (a memory without tags is left out)."""
    rows = await source.fetchall("SELECT memory_id, tag FROM memory_tags ORDER BY memory_id, tag")
    return {rowid: [str(tag) for tag in tags] for rowid, tags in _grouped(rows).items()}


async def all_versions(source: QuerySource) -> list[Any]:
    """Every kept version of every memory, by memory and version (tags and changed as JSON text)."""
    return await source.fetchall(
        "SELECT memory_id, version, content, tags, kind, importance, metadata, valid_from, replaced_at, "
        "replaced_by, changed FROM memory_versions ORDER BY memory_id, version"
    )


async def all_entities(source: QuerySource) -> list[Any]:
    """Every entity (id, name, type, created_at, updated_at), by id."""
    return await source.fetchall("SELECT id, name, type, created_at, updated_at FROM entities ORDER BY id")


async def all_observations(source: QuerySource) -> dict[int, list[str]]:
    """Every entity's observations in the order they were added, by entity id."""
    rows = await source.fetchall(
        "SELECT entity_id, content FROM observations ORDER BY entity_id, created_at, content"
    )
    return {entity: [str(text) for text in texts] for entity, texts in _grouped(rows).items()}


async def all_relations(source: QuerySource) -> list[tuple[int, str, int, float]]:
    """Every relation as (from id, type, to id, created_at), in that order."""
    rows = await source.fetchall(
        "SELECT from_id, type, to_id, created_at FROM relations ORDER BY from_id, type, to_id"
    )
    return [(int(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]


async def all_links(source: QuerySource) -> list[tuple[int, int]]:
    """Every link from a memory to an entity as (memory row id, entity id), in that order."""
    rows = await source.fetchall(
        "SELECT memory_id, entity_id FROM memory_entities ORDER BY memory_id, entity_id"
    )
    return [(int(r[0]), int(r[1])) for r in rows]


async def all_episodes(source: QuerySource) -> list[Any]:
    """Every episode row without its vector, by id (preconditions and tags as JSON text)."""
    return await source.fetchall(
        "SELECT id, task, context, preconditions, project, tags, outcome, reward, lesson, reflection, "
        "lesson_memory_id, started_at, completed_at FROM episodes ORDER BY id"
    )


async def all_steps(source: QuerySource) -> dict[int, list[Any]]:
    """Every episode's step rows (step, action, result, ok, files as JSON text, created_at) in order,
    by episode id (an episode without steps is left out)."""
    rows = await source.fetchall(
        "SELECT episode_id, step, action, result, ok, files, created_at FROM episode_steps "
        "ORDER BY episode_id, step"
    )
    result: dict[int, list[Any]] = {}
    for row in rows:
        result.setdefault(int(row["episode_id"]), []).append(row)
    return result


# -- the import's reads: what is stored already ------------------------------------------------------


def _keys(rows: Sequence[Any]) -> list[MemoryKey]:
    return [MemoryKey(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


async def memory_keys(source: QuerySource) -> tuple[list[MemoryKey], list[MemoryKey]]:
    """The keys of every live memory and of every deleted one, in one read: an import then checks
    each record in memory, not with a query per record (which, inside the import's own transaction
    on a table its statistics still call empty, a planner may answer by scanning every row)."""
    rows = await source.fetchall(
        f"SELECT id, project, content_hash, created_at, CASE WHEN {LIVE} THEN 1 ELSE 0 END FROM memories"
    )
    live = _keys([r for r in rows if r[4]])
    gone = _keys([r for r in rows if not r[4]])
    return live, gone


async def episode_started_near(
    source: QuerySource, *, project: str, task: str, started_at: float, within: float
) -> bool:
    """Whether an episode of `project` for `task` started less than `within` seconds from `started_at`."""
    rows = await source.fetchall(
        "SELECT 1 FROM episodes WHERE project = ? AND task = ? AND abs(started_at - ?) < ?",
        (project, task, started_at, within),
    )
    return bool(rows)


# -- the import's writes -----------------------------------------------------------------------------


async def _free_id(tx: Transaction, table: str, wanted: int | None) -> int | None:
    """`wanted` when no row of `table` (memories or episodes) has that id, else None. On a shared
    Postgres always None: its identity columns number every writer's rows (an id written by hand
    would leave the counter behind it, and another member's private rows are not visible to check),
    so an import there keeps the exported order, not the numbers."""
    if wanted is None or tx.dialect == POSTGRES:
        return None
    taken = await tx.fetchall(f"SELECT 1 FROM {table} WHERE id = ?", (wanted,))
    return None if taken else wanted


async def _insert_row(tx: Transaction, table: str, row: dict[str, Any], wanted: int | None) -> int:
    """Insert `row` (column -> value) into `table` with the id `wanted` when it is free; its id."""
    rowid = await _free_id(tx, table, wanted)
    if rowid is not None:
        row = {"id": rowid, **row}
    rows = await tx.execute_fetchall(
        f"INSERT INTO {table}({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) RETURNING id",
        tuple(row.values()),
    )
    return int(rows[0][0])


async def insert_memory_row(tx: Transaction, memory: MemoryImport, wanted: int | None) -> int:
    """Insert a memory whole, with the row id `wanted` when no memory has it (else a new one); its id."""
    row = {
        "content": memory.content,
        "content_hash": memory.content_hash,
        "kind": memory.kind,
        "importance": memory.importance,
        "metadata": memory.metadata,
        "project": memory.project,
        "pinned": int(memory.pinned),
        "pin_note": memory.pin_note,
        "created_at": memory.created_at,
        "updated_at": memory.updated_at,
        "last_accessed_at": memory.last_accessed_at,
        "access_count": memory.access_count,
        "expires_at": memory.expires_at,
        "deleted_at": memory.deleted_at,
        "archived_at": memory.archived_at,
        "version": memory.version,
    }
    if tx.dialect == POSTGRES:
        row["visibility"] = memory.visibility
    return await _insert_row(tx, "memories", row, wanted)


async def insert_episode_row(tx: Transaction, episode: EpisodeImport, wanted: int | None) -> int:
    """Insert an episode whole, with the row id `wanted` when no episode has it (else a new one); its id."""
    row = {
        "task": episode.task,
        "context": episode.context,
        "preconditions": json.dumps(list(episode.preconditions)),
        "project": episode.project,
        "tags": json.dumps(list(episode.tags)),
        "outcome": episode.outcome,
        "reward": episode.reward,
        "lesson": episode.lesson,
        "reflection": episode.reflection,
        "lesson_memory_id": episode.lesson_memory_id,
        "started_at": episode.started_at,
        "completed_at": episode.completed_at,
    }
    if tx.dialect == POSTGRES:
        row["visibility"] = episode.visibility
    return await _insert_row(tx, "episodes", row, wanted)


async def add_version(
    tx: Transaction,
    memory_id: int,
    version: int,
    *,
    content: str,
    tags: str,
    kind: str,
    importance: float,
    metadata: str,
    valid_from: float,
    replaced_at: float,
    replaced_by: str,
    changed: str,
) -> bool:
    """Keep an exported version of a memory (tags, metadata and changed as JSON text); False when the
    memory has a version of that number already (it is left as it is)."""
    cursor = await tx.execute(
        "INSERT INTO memory_versions(memory_id, version, content, tags, kind, importance, metadata, "
        "valid_from, replaced_at, replaced_by, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (memory_id, version) DO NOTHING",
        (
            memory_id,
            version,
            content,
            tags,
            kind,
            importance,
            metadata,
            valid_from,
            replaced_at,
            replaced_by,
            changed,
        ),
    )
    return cursor.rowcount > 0


async def set_superseded_by(tx: Transaction, memory_id: int, by: int) -> None:
    """Name the newer memory that retired an imported one (both are written by then)."""
    await tx.execute("UPDATE memories SET superseded_by = ? WHERE id = ?", (by, memory_id))
