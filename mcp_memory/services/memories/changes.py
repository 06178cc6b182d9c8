"""Changing memories: update (keeping the previous version) and delete (recoverable: the memory
leaves search and listings, its last state stays in history)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import InvalidInput, NotFound, Operation
from mcp_memory.limits import clean_ids, clean_kind, clean_metadata, clean_tags
from mcp_memory.services.app import App
from mcp_memory.services.memories.conflicts import Conflict, conflicting_memories
from mcp_memory.services.memories.records import load_memories
from mcp_memory.services.memories.store import (
    clean_and_redact,
    clean_visibility,
    content_hash,
    format_id,
    importance_value,
    parse_id,
    record_version,
    redact_metadata,
    redact_tags,
    resolve_id,
    set_tags,
    sync_keyword_index,
    tags_by_id,
)
from mcp_memory.storage.keyword_rows import drop_keyword_row
from mcp_memory.storage.memories import mark_deleted, rewrite_memory, session_member
from mcp_memory.storage.query import POSTGRES, Transaction
from mcp_memory.storage.rows import fetch_memory_row, has_column
from mcp_memory.storage.vectors import VectorIndexInfo, forget_vector, update_vector_metadata, write_vectors

__all__ = ["DeleteResult", "UpdateResult", "delete_memories", "soft_delete", "update_memory"]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    id: str
    version: int
    changed: tuple[str, ...]
    embedded: bool
    redacted: int = 0
    #: Other stored memories whose fact the new content changes (the same subject, another value).
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteResult:
    deleted: int
    deleted_ids: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Update:
    """An update's cleaned new values (None: not given) and how many secrets were replaced in them."""

    content: str | None
    tags: list[str] | None
    kind: str | None
    importance: float | None
    metadata: str | None
    redacted: int
    visibility: str | None = None

    def changed(self, row: Any, old_tags: Sequence[str]) -> list[str]:
        """The fields whose new value differs from the memory's `row` and tags."""
        differs = (
            ("content", self.content is not None and self.content != row["content"]),
            ("tags", self.tags is not None and self.tags != old_tags),
            ("kind", self.kind is not None and self.kind != row["kind"]),
            ("importance", self.importance is not None and self.importance != row["importance"]),
            ("metadata", self.metadata is not None and self.metadata != row["metadata"]),
            (
                "visibility",  # only a shared Postgres has the column; the SQLite file is all yours
                self.visibility is not None
                and has_column(row, "visibility")
                and self.visibility != row["visibility"],
            ),
        )
        return [name for name, changed in differs if changed]


def _clean_update(
    app: App,
    content: str | None,
    tags: Sequence[str] | None,
    kind: str | None,
    importance: float | None,
    metadata: Mapping[str, Any] | None,
) -> _Update:
    """Validate and redact update arguments; raises before anything is written."""
    new_content, redacted = clean_and_redact(app, content) if content is not None else (None, 0)
    tags, in_tags = redact_tags(app, tags)
    metadata, in_metadata = redact_metadata(app, metadata)
    return _Update(
        content=new_content,
        tags=clean_tags(tags) if tags is not None else None,
        kind=clean_kind(kind) if kind is not None else None,
        importance=importance_value(importance, None),
        metadata=clean_metadata(metadata) if metadata is not None else None,
        redacted=redacted + in_tags + in_metadata,
    )


async def update_memory(
    app: App,
    memory_id: str,
    *,
    content: str | None = None,
    tags: Sequence[str] | None = None,
    kind: str | None = None,
    importance: float | None = None,
    metadata: Mapping[str, Any] | None = None,
    visibility: str | None = None,
) -> UpdateResult:
    """Change a memory; the previous state is kept as a version. Tags and metadata are replaced.
    `visibility` ('team' or 'private') matters on a shared Postgres, where only a memory's owner may
    make it private; the SQLite file has no one else to hide from and leaves it as it is."""
    rowid = resolve_id(memory_id)
    given = (content, tags, kind, importance, metadata, visibility)
    if all(value is None for value in given):
        raise InvalidInput(
            "nothing to update; pass at least one of content, tags, kind, importance, metadata, visibility."
        )
    update = dataclasses.replace(
        _clean_update(app, content, tags, kind, importance, metadata),
        visibility=clean_visibility(visibility, "team") if visibility is not None else None,
    )
    if update.content is not None:
        app.require_model_match()
    vectors = await app.embed_for_write([update.content]) if update.content is not None else None
    info = app.vector_info
    now = time.time()

    async def work(conn: Transaction) -> UpdateResult:
        shared = conn.dialect == POSTGRES
        extra = ("content_hash", "owner") if shared else ("content_hash",)
        row = await fetch_memory_row(conn, rowid, extra=extra, live_only=True)
        if row is None:
            raise NotFound(
                f"no memory {memory_id}; it was deleted or never existed. ",
                Operation("memory_search"),
                " finds ids.",
            )
        old_tags = (await tags_by_id(conn, [rowid]))[rowid]
        changed = update.changed(row, old_tags)
        if "visibility" in changed and update.visibility == "private":
            await _require_owner(conn, row, memory_id)
        if not changed:
            return UpdateResult(memory_id, int(row["version"]), (), bool(row["embedded"]), update.redacted)
        await record_version(conn, row, old_tags, "update", changed, now)
        vector = vectors[0] if vectors is not None and info is not None else None
        embedded = await _write_update(conn, row, update, changed, vector, info, now)
        return UpdateResult(memory_id, int(row["version"]) + 1, tuple(changed), embedded, update.redacted)

    result = await app.db.write(work)
    if not result.embedded:
        app.wake_worker()
    if "content" in result.changed and vectors and update.content is not None:
        # The other memories of its project the new content contradicts.
        memory = (await load_memories(app.db, [rowid])).get(rowid)
        project = (memory.project or "") if memory is not None else ""
        conflicts = await conflicting_memories(app, update.content, vectors[0], project, exclude=rowid)
        if conflicts:
            return dataclasses.replace(result, conflicts=conflicts)
    return result


async def _require_owner(conn: Transaction, row: Any, memory_id: str) -> None:
    """Refuse to make another member's memory private (the row policy would refuse it too)."""
    if row["owner"] != await session_member(conn):
        raise InvalidInput(
            f"{memory_id} belongs to {row['owner']}: only its owner can make it private; nothing was "
            "changed. Store your own private copy instead."
        )


async def _write_update(
    conn: Transaction,
    row: Any,
    update: _Update,
    changed: Sequence[str],
    vector: bytes | None,
    info: VectorIndexInfo | None,
    now: float,
) -> bool:
    """Write the `changed` fields of `update` over `row` (its version already kept), with the tags,
    keyword index and vector; whether the memory has a vector now."""
    rowid = int(row["id"])
    new_content = update.content if "content" in changed and update.content is not None else None
    kind = update.kind if "kind" in changed and update.kind is not None else str(row["kind"])
    await rewrite_memory(
        conn,
        rowid,
        content=new_content if new_content is not None else str(row["content"]),
        content_hash=content_hash(new_content) if new_content else str(row["content_hash"]),
        kind=kind,
        importance=(
            update.importance
            if "importance" in changed and update.importance is not None
            else float(row["importance"])
        ),
        metadata=update.metadata
        if "metadata" in changed and update.metadata is not None
        else str(row["metadata"]),
        now=now,
        visibility=update.visibility if "visibility" in changed else None,
    )
    if "tags" in changed and update.tags is not None:
        await set_tags(conn, rowid, update.tags)
    if "content" in changed or "tags" in changed:
        await sync_keyword_index(conn, rowid)
    if "content" in changed:
        if vector is not None and info is not None:
            await write_vectors(conn, info, [(rowid, vector, row["project"], kind, row["created_at"])])
            return True
        await forget_vector(conn, rowid)
        return False
    if "kind" in changed:
        await update_vector_metadata(conn, rowid, kind)
    return bool(row["embedded"])


async def soft_delete(conn: Transaction, row: Any, tags: Sequence[str], why: str, now: float) -> None:
    """Delete a memory recoverably (in the caller's transaction): a version records its last state and
    `why`; it leaves both indexes."""
    await record_version(conn, row, tags, "delete", [why], now)
    await mark_deleted(conn, int(row["id"]), now)
    await drop_keyword_row(conn, int(row["id"]))
    await forget_vector(conn, int(row["id"]))


async def delete_memories(app: App, ids: Sequence[str]) -> DeleteResult:
    """Delete memories: they leave search and listings at once; their last state stays in the history
    table so a mistaken delete can be undone."""
    wanted = clean_ids(ids)
    parsed = {i: parse_id(i) for i in wanted}
    now = time.time()

    async def work(conn: Transaction) -> DeleteResult:
        deleted: list[str] = []
        missing: list[str] = []
        for given, rowid in parsed.items():
            row = None if rowid is None else await fetch_memory_row(conn, rowid, live_only=True)
            if row is None:
                missing.append(given)
                continue
            await soft_delete(conn, row, (await tags_by_id(conn, [row["id"]]))[row["id"]], "deleted", now)
            deleted.append(format_id(int(row["id"])))
        return DeleteResult(len(deleted), tuple(deleted), tuple(missing))

    return await app.db.write(work)
