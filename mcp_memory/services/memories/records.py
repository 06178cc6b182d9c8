"""Memories as services hand them out, read from any source: the dataclasses, ids, and the reads that
`get`, `recent` and search share.

Nothing here imports the connection layer (aiosqlite, asyncio, anyio): the reads are coroutines over
a `QuerySource`, which is the server's `Database` (`Reader`) or, for the command line's quick commands
and the search's last stage, a plain sqlite3 connection whose awaits never suspend
(`mcp_memory.storage.inline.InlineReader`). The two run the same SQL and build the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mcp_memory.errors import InvalidInput
from mcp_memory.limits import MAX_LIMIT, clean_ids
from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.history import version_rows
from mcp_memory.storage.ids import format_id, parse_id
from mcp_memory.storage.memories import live_rows_with_tags, newest_ids
from mcp_memory.storage.query import QuerySource
from mcp_memory.storage.rows import has_column

__all__ = [
    "GetResult",
    "Memory",
    "MemoryVersion",
    "QuerySource",
    "format_id",
    "load_memories",
    "memory_from_row",
    "parse_id",
    "read_memories",
    "recent_in",
    "version_from_row",
    "versions_of",
]


@dataclass(frozen=True, slots=True)
class MemoryVersion:
    """A previous state of a memory, kept when it was changed."""

    version: int
    content: str
    tags: tuple[str, ...]
    kind: str
    importance: float
    metadata: dict[str, Any]
    valid_from: float
    replaced_at: float
    replaced_by: str
    changed: tuple[str, ...]
    #: On a shared Postgres: the member whose change replaced this version.
    changed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Memory:
    """One stored memory as services hand it out."""

    id: str
    content: str
    tags: tuple[str, ...]
    kind: str
    importance: float
    metadata: dict[str, Any]
    project: str | None
    pinned: bool
    created_at: float
    updated_at: float
    last_accessed_at: float | None
    access_count: int
    expires_at: float | None
    version: int
    embedded: bool
    pin_note: str | None = None
    archived_at: float | None = None
    #: The newer memory that retired this one (`supersedes` on store), if one did.
    superseded_by: str | None = None
    history: tuple[MemoryVersion, ...] = field(default=())
    #: On a shared Postgres: 'team' or 'private', and the members who stored and last changed it.
    visibility: str | None = None
    created_by: str | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class GetResult:
    memories: tuple[Memory, ...]
    missing: tuple[str, ...]


def memory_from_row(row: Any, tags: Iterable[str]) -> Memory:
    """A `Memory` from a row of `memory_columns` (the team's columns too, on Postgres) and its tags."""
    team = has_column(row, "visibility")
    return Memory(
        id=format_id(int(row["id"])),
        content=str(row["content"]),
        tags=tuple(tags),
        kind=str(row["kind"]),
        importance=float(row["importance"]),
        metadata=json.loads(row["metadata"]),
        project=str(row["project"]) or None,
        pinned=bool(row["pinned"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        last_accessed_at=row["last_accessed_at"],
        access_count=int(row["access_count"]),
        expires_at=row["expires_at"],
        version=int(row["version"]),
        embedded=bool(row["embedded"]),
        pin_note=row["pin_note"],
        archived_at=row["archived_at"],
        superseded_by=format_id(int(row["superseded_by"])) if row["superseded_by"] is not None else None,
        visibility=row["visibility"] if team else None,
        created_by=row["created_by"] if team else None,
        updated_by=row["updated_by"] if team else None,
    )


async def load_memories(db: QuerySource, ids: Sequence[int]) -> dict[int, Memory]:
    """Live memories by row id, with their tags: two queries in one trip to the reader's thread (a
    trip is a large share of a memory_get's whole service: bench/README.md)."""
    rows, tags = await live_rows_with_tags(db, ids)
    return {int(r["id"]): memory_from_row(r, tags.get(int(r["id"]), [])) for r in rows}


def version_from_row(row: Any) -> MemoryVersion:
    """A `MemoryVersion` from a row of `memory_versions`."""
    return MemoryVersion(
        version=int(row["version"]),
        content=str(row["content"]),
        tags=tuple(json.loads(row["tags"])),
        kind=str(row["kind"]),
        importance=float(row["importance"]),
        metadata=json.loads(row["metadata"]),
        valid_from=float(row["valid_from"]),
        replaced_at=float(row["replaced_at"]),
        replaced_by=str(row["replaced_by"]),
        changed=tuple(json.loads(row["changed"])),
        changed_by=row["changed_by"] if has_column(row, "changed_by") else None,
    )


async def versions_of(db: QuerySource, ids: Sequence[int]) -> dict[int, list[MemoryVersion]]:
    """The kept versions of these memories, newest first, by row id (a memory without any is left out)."""
    result: dict[int, list[MemoryVersion]] = {}
    for row in await version_rows(db, ids):
        result.setdefault(int(row["memory_id"]), []).append(version_from_row(row))
    return result


async def read_memories(
    db: QuerySource, ids: Sequence[str], *, include_history: bool = False
) -> tuple[GetResult, list[int]]:
    """Memories by id, in the order asked, with the ids not found (unknown or deleted) in `missing`;
    and the row ids read, for the caller to count as accessed."""
    wanted = clean_ids(ids)
    parsed = {i: parse_id(i) for i in wanted}
    found = await load_memories(db, [p for p in parsed.values() if p is not None])
    history: dict[int, list[MemoryVersion]] = {}
    if include_history and found:
        history = await versions_of(db, list(found))
    memories: list[Memory] = []
    missing: list[str] = []
    read: list[int] = []
    for given, rowid in parsed.items():
        memory = found.get(rowid) if rowid is not None else None
        if memory is None or rowid is None:
            missing.append(given)
            continue
        if include_history:
            memory = replace(memory, history=tuple(history.get(rowid, [])))
        memories.append(memory)
        read.append(rowid)
    return GetResult(tuple(memories), tuple(missing)), read


async def recent_in(db: QuerySource, flt: MemoryFilter, limit: int) -> list[Memory]:
    """The newest memories passing `flt` first, at most `limit`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_LIMIT}.")
    ids = await newest_ids(db, flt, limit)
    found = await load_memories(db, ids)
    return [found[i] for i in ids if i in found]
