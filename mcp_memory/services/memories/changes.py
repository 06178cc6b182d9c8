"""Changing memories: update (keeping the previous version) and delete (recoverable: the memory
leaves search and listings, its last state stays in history)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.limits import clean_ids, clean_kind, clean_metadata, clean_tags
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import (
    clean_and_redact,
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
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.rows import fetch_memory_row
from mcp_memory.storage.vectors import forget_vector, update_vector_metadata, write_vectors

__all__ = ["DeleteResult", "UpdateResult", "delete_memories", "soft_delete", "update_memory"]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    id: str
    version: int
    changed: tuple[str, ...]
    embedded: bool
    redacted: int = 0


@dataclass(frozen=True, slots=True)
class DeleteResult:
    deleted: int
    deleted_ids: tuple[str, ...]
    missing: tuple[str, ...]


async def update_memory(
    app: App,
    memory_id: str,
    *,
    content: str | None = None,
    tags: Sequence[str] | None = None,
    kind: str | None = None,
    importance: float | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> UpdateResult:
    """Change a memory; the previous state is kept as a version. Tags and metadata are replaced."""
    rowid = resolve_id(memory_id)
    if content is None and tags is None and kind is None and importance is None and metadata is None:
        raise InvalidInput(
            "nothing to update; pass at least one of content, tags, kind, importance, metadata."
        )
    new_content, redacted = clean_and_redact(app, content) if content is not None else (None, 0)
    tags, in_tags = redact_tags(app, tags)
    metadata, in_metadata = redact_metadata(app, metadata)
    redacted += in_tags + in_metadata
    new_tags = clean_tags(tags) if tags is not None else None
    new_kind = clean_kind(kind) if kind is not None else None
    new_importance = importance_value(importance, None)
    new_meta = clean_metadata(metadata) if metadata is not None else None
    if new_content is not None:
        app.require_model_match()
    vectors = await app.embed_for_write([new_content]) if new_content is not None else None
    info = app.vector_info
    now = time.time()

    async def work(conn: Transaction) -> UpdateResult:
        row = await fetch_memory_row(conn, rowid, extra=("content_hash",), live_only=True)
        if row is None:
            raise NotFound(
                f"no memory {memory_id}; it was deleted or never existed. memory_search finds ids."
            )
        old_tags = (await tags_by_id(conn, [rowid]))[rowid]
        changed: list[str] = []
        if new_content is not None and new_content != row["content"]:
            changed.append("content")
        if new_tags is not None and new_tags != old_tags:
            changed.append("tags")
        if new_kind is not None and new_kind != row["kind"]:
            changed.append("kind")
        if new_importance is not None and new_importance != row["importance"]:
            changed.append("importance")
        if new_meta is not None and new_meta != row["metadata"]:
            changed.append("metadata")
        if not changed:
            return UpdateResult(memory_id, int(row["version"]), (), bool(row["embedded"]), redacted)
        await record_version(conn, row, old_tags, "update", changed, now)
        kind_value = new_kind if new_kind is not None and "kind" in changed else str(row["kind"])
        await conn.execute(
            "UPDATE memories SET content = ?, content_hash = ?, kind = ?, importance = ?, metadata = ?, "
            "updated_at = ?, version = version + 1 WHERE id = ?",
            (
                new_content if "content" in changed else row["content"],
                content_hash(new_content) if "content" in changed and new_content else row["content_hash"],
                kind_value,
                new_importance if "importance" in changed else row["importance"],
                new_meta if "metadata" in changed else row["metadata"],
                now,
                rowid,
            ),
        )
        if "tags" in changed and new_tags is not None:
            await set_tags(conn, rowid, new_tags)
        if "content" in changed or "tags" in changed:
            await sync_keyword_index(conn, rowid)
        embedded = bool(row["embedded"])
        if "content" in changed:
            if vectors is not None and info is not None:
                await write_vectors(
                    conn, info, [(rowid, vectors[0], row["project"], kind_value, row["created_at"])]
                )
                embedded = True
            else:
                await forget_vector(conn, rowid)
                embedded = False
        elif "kind" in changed:
            await update_vector_metadata(conn, rowid, kind_value)
        return UpdateResult(memory_id, int(row["version"]) + 1, tuple(changed), embedded, redacted)

    result = await app.db.write(work)
    if not result.embedded:
        app.wake_worker()
    return result


async def soft_delete(conn: Transaction, row: Any, tags: Sequence[str], why: str, now: float) -> None:
    """Delete a memory recoverably (in the caller's transaction): a version records its last state and
    `why`; it leaves both indexes."""
    await record_version(conn, row, tags, "delete", [why], now)
    await conn.execute(
        "UPDATE memories SET deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ?",
        (now, now, row["id"]),
    )
    await conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (row["id"],))
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
