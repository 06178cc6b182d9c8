"""The memory service: store, get and list memories (changes live in `mcp_memory.services.memories.changes`).

Every write runs in one transaction that also updates the tags, the keyword index and (when the model
is ready) the vector, so a memory the caller saw acknowledged is complete and searchable. A memory
stored before the model is ready is written at once without its vector; the embedding worker
(`mcp_memory.services.maintenance.indexing`) adds it later, also after a restart.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from mcp_memory.concurrently import concurrently
from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.limits import clean_content, clean_kind, clean_metadata, clean_tags
from mcp_memory.projects import stored_project
from mcp_memory.services.app import App
from mcp_memory.services.memories.records import (
    GetResult,
    Memory,
    MemoryVersion,
    format_id,
    load_memories,
    parse_id,
    read_memories,
    recent_in,
    versions_of,
)
from mcp_memory.services.memories.redaction import redact, redact_value
from mcp_memory.storage import QuerySource
from mcp_memory.storage.filters import MemoryFilter, build_filter
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.rows import MEMORY_COLUMNS
from mcp_memory.storage.vectors import VectorIndexInfo, write_vectors
from mcp_memory.timeparse import parse_time

__all__ = [
    "KEYWORD_ROWS",
    "GetResult",
    "Memory",
    "MemoryVersion",
    "PreparedMemory",
    "StoreResult",
    "clean_and_redact",
    "content_hash",
    "format_id",
    "get_memories",
    "importance_value",
    "load_memories",
    "parse_id",
    "prepare_memory",
    "recent_memories",
    "record_version",
    "redact_metadata",
    "redact_tags",
    "resolve_id",
    "retag",
    "scrub",
    "set_tags",
    "store_memory",
    "sync_keyword_index",
    "tags_by_id",
    "versions_of",
    "write_prepared",
    "write_prepared_many",
]


@dataclass(frozen=True, slots=True)
class StoreResult:
    id: str
    status: Literal["created", "duplicate", "merged"]
    duplicate_of: str | None
    redacted: int
    embedded: bool
    project: str | None


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def importance_value(value: float | None, default: float | None) -> float | None:
    if value is None:
        return default
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidInput(
            f"importance {value} is out of range; use a number from 0 (trivial) to 1 (critical)."
        )
    return float(value)


async def tags_by_id(source: QuerySource, ids: Sequence[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return result
    sql = (
        f"SELECT memory_id, tag FROM memory_tags WHERE memory_id IN ({', '.join('?' * len(ids))}) "
        "ORDER BY memory_id, tag"
    )
    rows = await source.fetchall(sql, ids)
    for row in rows:
        result[int(row[0])].append(str(row[1]))
    return result


#: The keyword-index rows of live memories: content, and tags joined by spaces.
KEYWORD_ROWS = (
    "INSERT INTO memories_fts(rowid, content, tags) "
    "SELECT id, content, coalesce((SELECT group_concat(tag, ' ') FROM memory_tags WHERE memory_id = m.id), '') "
    "FROM memories m WHERE deleted_at IS NULL"
)


async def sync_keyword_index(conn: Transaction, memory_id: int) -> None:
    """Rewrite a memory's row in the keyword index from the memory and its tags (in the caller's
    transaction); a deleted memory is left out of it."""
    await sync_keyword_index_many(conn, [memory_id])


async def sync_keyword_index_many(conn: Transaction, memory_ids: Sequence[int]) -> None:
    """`sync_keyword_index` for several memories, two statements per 500 ids."""
    for start in range(0, len(memory_ids), 500):
        part = list(memory_ids[start : start + 500])
        marks = ", ".join("?" * len(part))
        await conn.execute(f"DELETE FROM memories_fts WHERE rowid IN ({marks})", part)
        await conn.execute(KEYWORD_ROWS + f" AND id IN ({marks})", part)


async def retag(
    conn: Transaction,
    row: Any,
    old_tags: Sequence[str],
    new_tags: Sequence[str],
    reason: str,
    now: float,
) -> None:
    """Give a memory new tags as a new version (its previous state kept), keyword index included."""
    await record_version(conn, row, old_tags, reason, ["tags"], now)
    await set_tags(conn, row["id"], new_tags)
    await conn.execute(
        "UPDATE memories SET version = version + 1, updated_at = ? WHERE id = ?", (now, row["id"])
    )
    await sync_keyword_index(conn, row["id"])


async def set_tags(conn: Transaction, memory_id: int, tags: Sequence[str], *, new: bool = False) -> None:
    """Replace a memory's tags (`new`: it was just inserted and has none yet)."""
    if not new:
        await conn.execute("DELETE FROM memory_tags WHERE memory_id = ?", (memory_id,))
    if tags:
        await conn.executemany(
            "INSERT INTO memory_tags(memory_id, tag) VALUES (?, ?)", [(memory_id, t) for t in tags]
        )


async def record_version(
    conn: Transaction,
    row: Any,
    tags: Sequence[str],
    replaced_by: str,
    changed: Sequence[str],
    now: float,
) -> None:
    """Keep the state `row` had before a change."""
    await conn.execute(
        "INSERT OR REPLACE INTO memory_versions(memory_id, version, content, tags, kind, importance, metadata, "
        "valid_from, replaced_at, replaced_by, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
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
        ),
    )


@dataclass(frozen=True, slots=True)
class PreparedMemory:
    """A validated memory, ready to write."""

    content: str
    digest: str
    tags: list[str]
    kind: str
    importance: float
    metadata: str
    project: str
    pinned: bool
    created_at: float
    expires_at: float | None
    redacted: int = 0


def clean_and_redact(app: App, content: str) -> tuple[str, int]:
    """Content trimmed and size-checked, without private blocks and with secrets replaced (unless
    redaction is switched off); and how many were replaced."""
    result = redact(clean_content(content), secrets=app.settings.redact_secrets)
    return clean_content(result.text), result.count


def scrub(app: App, text: str) -> str:
    """Any stored text (episode steps, graph observations): private blocks dropped, secrets replaced."""
    return redact(text, secrets=app.settings.redact_secrets).text


def redact_tags(app: App, tags: Sequence[str] | None) -> tuple[list[str] | None, int]:
    """Tags with secrets replaced (before they are lower-cased), and how many were."""
    if tags is None:
        return None, 0
    results = [redact(t, secrets=app.settings.redact_secrets) if isinstance(t, str) else None for t in tags]
    return [r.text if r is not None else t for r, t in zip(results, tags, strict=True)], sum(
        r.count for r in results if r is not None
    )


def redact_metadata(app: App, metadata: Mapping[str, Any] | None) -> tuple[Mapping[str, Any] | None, int]:
    """Metadata with every string value scanned (keys kept), and how many secrets were replaced."""
    if metadata is None or not isinstance(metadata, Mapping):
        return metadata, 0
    value, count = redact_value(dict(metadata), secrets=app.settings.redact_secrets)
    return cast("dict[str, Any]", value), count  # a dict in gives a dict out


def prepare_memory(
    app: App,
    content: str,
    *,
    tags: Sequence[str] | None = None,
    kind: str | None = None,
    importance: float | None = None,
    metadata: Mapping[str, Any] | None = None,
    project: str | None = None,
    pinned: bool = False,
    expires_at: str | None = None,
    created_at: str | None = None,
    now: float | None = None,
) -> PreparedMemory:
    """Validate store arguments; raises before anything is written."""
    now = time.time() if now is None else now
    text, redacted = clean_and_redact(app, content)
    tags, in_tags = redact_tags(app, tags)
    metadata, in_metadata = redact_metadata(app, metadata)
    redacted += in_tags + in_metadata
    expires = parse_time(expires_at, end=True) if expires_at else None
    if expires is not None and expires <= now:
        raise InvalidInput(
            f"expires_at {expires_at!r} is in the past; give a future time such as 'in 7 days'."
        )
    return PreparedMemory(
        content=text,
        digest=content_hash(text),
        tags=clean_tags(tags),
        kind=clean_kind(kind),
        importance=importance_value(importance, 0.5) or 0.0,
        metadata=clean_metadata(metadata),
        project=stored_project(project, app.default_project),
        pinned=bool(pinned),
        created_at=parse_time(created_at) if created_at else now,
        expires_at=expires,
        redacted=redacted,
    )


async def write_prepared(
    conn: Transaction,
    item: PreparedMemory,
    vector: bytes | None,
    info: VectorIndexInfo | None,
    now: float,
) -> StoreResult:
    """Insert a prepared memory, or merge its tags into the identical one already stored (inside the
    caller's transaction)."""
    return (await write_prepared_many(conn, [(item, vector)], info, now))[0]


async def write_prepared_many(
    conn: Transaction,
    entries: Sequence[tuple[PreparedMemory, bytes | None]],
    info: VectorIndexInfo | None,
    now: float,
) -> list[StoreResult]:
    """`write_prepared` for many memories, in order (a later identical one merges into an earlier
    one). The keyword and vector indexes are written once for all the new memories: each statement
    is a hop to the connection's thread, and per memory they cost more than the insert itself (batch
    ingest went from 0.77-0.81 to 0.87-0.95 of the raw batched embedding throughput)."""
    results: list[StoreResult] = []
    created: list[int] = []
    vectors: list[tuple[int, bytes, str, str, float]] = []
    for item, vector in entries:
        rows = list(
            await conn.execute_fetchall(
                f"SELECT {MEMORY_COLUMNS} FROM memories WHERE project = ? AND content_hash = ? AND deleted_at IS NULL",
                (item.project, item.digest),
            )
        )
        if rows:
            row = rows[0]
            old_tags = (await tags_by_id(conn, [row["id"]]))[row["id"]]
            merged = clean_tags([*old_tags, *item.tags])
            if merged != old_tags:
                await retag(conn, row, old_tags, merged, "merge", now)
            mid = format_id(int(row["id"]))
            embedded = bool(row["embedded"]) or int(row["id"]) in {v[0] for v in vectors}
            results.append(
                StoreResult(mid, "duplicate", mid, item.redacted, embedded, str(row["project"]) or None)
            )
            continue
        cursor = await conn.execute(
            "INSERT INTO memories(content, content_hash, kind, importance, metadata, project, pinned, created_at, "
            "updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.content,
                item.digest,
                item.kind,
                item.importance,
                item.metadata,
                item.project,
                int(item.pinned),
                item.created_at,
                now,
                item.expires_at,
            ),
        )
        rowid = cursor.lastrowid
        if rowid is None:  # pragma: no cover - INSERT always sets it
            raise RuntimeError("insert returned no row id")
        await set_tags(conn, rowid, item.tags, new=True)
        created.append(rowid)
        embedded = vector is not None and info is not None
        if embedded:
            vectors.append((rowid, vector, item.project, item.kind, item.created_at))  # type: ignore[arg-type]
        results.append(
            StoreResult(format_id(rowid), "created", None, item.redacted, embedded, item.project or None)
        )
    await sync_keyword_index_many(conn, created)
    if vectors and info is not None:
        await write_vectors(conn, info, vectors)
    return results


async def store_memory(
    app: App,
    content: str,
    *,
    tags: Sequence[str] | None = None,
    kind: str | None = None,
    importance: float | None = None,
    metadata: Mapping[str, Any] | None = None,
    project: str | None = None,
    pinned: bool = False,
    expires_at: str | None = None,
    created_at: str | None = None,
) -> StoreResult:
    """Store one memory. Identical content already stored in the same project is not stored twice:
    the existing id comes back with status 'duplicate' and the new tags are added to it."""
    now = time.time()
    item = prepare_memory(
        app,
        content,
        tags=tags,
        kind=kind,
        importance=importance,
        metadata=metadata,
        project=project,
        pinned=pinned,
        expires_at=expires_at,
        created_at=created_at,
        now=now,
    )
    app.require_model_match()
    existing: Any = None
    vectors: list[bytes] | None = None

    async def duplicate() -> None:
        nonlocal existing
        existing = await app.db.scalar(
            "SELECT id FROM memories WHERE project = ? AND content_hash = ? AND deleted_at IS NULL",
            (item.project, item.digest),
        )

    async def embed() -> None:
        nonlocal vectors
        vectors = await app.embed_for_write([item.content])

    # The duplicate check runs while the text embeds (a repeat is rare; its vector is then unused).
    # The write below checks again inside its transaction, which decides.
    await concurrently(duplicate, embed)
    if existing is not None:
        vectors = None
    info = app.vector_info
    result = await app.db.write(
        lambda conn: write_prepared(conn, item, vectors[0] if vectors else None, info, now)
    )
    if not result.embedded:
        app.wake_worker()
    return result


async def get_memories(app: App, ids: Sequence[str], *, include_history: bool = False) -> GetResult:
    """Memories by id, in the order asked; unknown or deleted ids are listed in `missing`."""
    result, read = await read_memories(app.db, ids, include_history=include_history)
    await record_access(app, read)
    return result


async def record_access(app: App, rowids: Sequence[int]) -> None:
    """Count a read of these memories; flushed in the background so reads never wait on a write."""
    app.note_access([r for r in rowids if r])


def resolve_id(memory_id: str) -> int:
    rowid = parse_id(memory_id)
    if rowid is None:
        raise NotFound(
            f"{memory_id!r} is not a memory id; ids look like 'm_12' (memory_search returns them)."
        )
    return rowid


async def recent_memories(
    app: App,
    *,
    limit: int = 10,
    project: str | None = None,
    kind: str | None = None,
    tags: Sequence[str] | None = None,
) -> list[Memory]:
    """The newest memories first, within the usual project scope and filters (`recent_in` checks
    the limit)."""
    flt: MemoryFilter = build_filter(
        default_project=app.default_project, project=project, kind=kind, tags=tags
    )
    return await recent_in(app.db, flt, limit)
