"""History: every version of a memory, reverting to one (which also undoes a delete), and forgetting
memories for good (their history and graph links with them)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_memory.errors import Argument, InvalidInput, NotFound, Operation
from mcp_memory.services.app import App
from mcp_memory.services.memories.selection import select_memories
from mcp_memory.services.memories.store import (
    Memory,
    MemoryVersion,
    content_hash,
    format_id,
    load_memories,
    record_version,
    resolve_id,
    set_tags,
    sync_keyword_index,
    tags_by_id,
    versions_of,
)
from mcp_memory.storage.history import version_state
from mcp_memory.storage.memories import purge_memories, rewrite_memory
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.rows import fetch_memory_row, has_column
from mcp_memory.storage.vectors import forget_vector, write_vectors

__all__ = ["ForgetResult", "HistoryResult", "forget_memories", "memory_history", "revert_memory"]

#: Beyond `MEMORY_COLUMNS`, what history and revert compare and show.
_HISTORY_EXTRA = ("content_hash", "deleted_at")


@dataclass(frozen=True, slots=True)
class HistoryResult:
    id: str
    current_version: int
    deleted: bool
    versions: tuple[MemoryVersion, ...]
    #: On a shared Postgres: who wrote each version (by number); empty on the SQLite file.
    authors: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ForgetResult:
    dry_run: bool
    count: int
    sample: tuple[str, ...]
    missing: tuple[str, ...]


async def memory_history(app: App, memory_id: str) -> HistoryResult:
    """Every version of a memory, newest first: the current state, then what each change replaced."""
    rowid = resolve_id(memory_id)
    row = await fetch_memory_row(app.db, rowid, extra=_HISTORY_EXTRA)
    if row is None:
        raise NotFound(
            f"no memory {memory_id}; ",
            Operation("memory_search"),
            " finds ids (forgotten memories have no history).",
        )
    tags = (await tags_by_id(app.db, [rowid]))[rowid]
    current = MemoryVersion(
        version=int(row["version"]),
        content=str(row["content"]),
        tags=tuple(tags),
        kind=str(row["kind"]),
        importance=float(row["importance"]),
        metadata=json.loads(row["metadata"]),
        valid_from=float(row["updated_at"]),
        replaced_at=0.0,
        replaced_by="",
        changed=(),
    )
    older = (await versions_of(app.db, [rowid])).get(rowid, [])
    return HistoryResult(
        format_id(rowid),
        int(row["version"]),
        row["deleted_at"] is not None,
        (current, *older),
        authors=_authors(row, older),
    )


def _authors(row: Any, older: Sequence[MemoryVersion]) -> dict[int, str]:
    """On a shared Postgres, the member who wrote each version: the first its creator, each later one
    whoever replaced the version before it, the current one the last to change the memory."""
    if not has_column(row, "created_by"):
        return {}
    authors = {1: str(row["created_by"])}
    authors.update({v.version + 1: v.changed_by for v in older if v.changed_by})
    authors[int(row["version"])] = str(row["updated_by"])
    return authors


async def revert_memory(app: App, memory_id: str, version: int) -> Memory:
    """Restore an earlier version's content, tags, kind, importance and metadata as a new version.
    Reverting a deleted memory, or one a newer memory superseded, brings it back."""
    rowid = resolve_id(memory_id)
    old = await version_state(app.db, rowid, version)
    if old is None:
        raise NotFound(
            f"{memory_id} has no version {version}; ",
            Operation("memory_history", (Argument("id", memory_id),)),
            " lists its versions.",
        )
    app.require_model_match()
    vectors = await app.embed_for_write([str(old["content"])])
    info = app.vector_info
    now = time.time()

    async def work(conn: Transaction) -> bool:
        row = await fetch_memory_row(conn, rowid, extra=_HISTORY_EXTRA)
        if row is None:
            raise NotFound(f"no memory {memory_id}.")
        current_tags = (await tags_by_id(conn, [rowid]))[rowid]
        target_tags = list(json.loads(old["tags"]))
        changed = [
            name
            for name, now_value, then_value in (
                ("content", row["content"], old["content"]),
                ("tags", current_tags, target_tags),
                ("kind", row["kind"], old["kind"]),
                ("importance", row["importance"], old["importance"]),
                ("metadata", row["metadata"], old["metadata"]),
            )
            if now_value != then_value
        ]
        if row["deleted_at"] is not None or row["superseded_by"] is not None:
            changed.append("restored")
        if not changed:
            raise InvalidInput(f"{memory_id} already equals version {version}; nothing to revert.")
        await record_version(conn, row, current_tags, "revert", changed, now)
        await rewrite_memory(
            conn,
            rowid,
            content=old["content"],
            content_hash=content_hash(old["content"]),
            kind=old["kind"],
            importance=old["importance"],
            metadata=old["metadata"],
            now=now,
            undelete=True,
        )
        await set_tags(conn, rowid, target_tags)
        await sync_keyword_index(conn, rowid)
        if vectors is not None and info is not None:
            await write_vectors(
                conn,
                info,
                [(rowid, vectors[0], str(row["project"]), str(old["kind"]), float(row["created_at"]))],
            )
            return True
        await forget_vector(conn, rowid)
        return False

    embedded = await app.db.write(work)
    if not embedded:
        app.wake_worker()
    return (await load_memories(app.db, [rowid]))[rowid]


async def forget_memories(
    app: App,
    *,
    ids: Sequence[str] | None = None,
    flt: Mapping[str, Any] | None = None,
    dry_run: bool = True,
) -> ForgetResult:
    """Delete memories permanently, deleted ones included: rows, tags, versions, graph links, keyword
    entries and vectors. With dry_run (the default) only report what would go."""
    chosen, missing = await select_memories(app, ids=ids, flt=flt, include_deleted=True)
    sample = tuple(format_id(r) for r in chosen[:10])
    if dry_run or not chosen:
        return ForgetResult(dry_run, len(chosen), sample, tuple(missing))

    await app.db.write(lambda conn: purge_memories(conn, chosen))
    return ForgetResult(False, len(chosen), sample, tuple(missing))
