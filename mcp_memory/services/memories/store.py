"""The memory service: store, get and list memories (changes live in `mcp_memory.services.memories.changes`).

Every write runs in one transaction that also updates the tags, the keyword index and (when the model
is ready) the vector, so a memory the caller saw acknowledged is complete and searchable. A memory
stored before the model is ready is written at once without its vector; the embedding worker
(`mcp_memory.services.maintenance.indexing`) adds it later, also after a restart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from mcp_memory.concurrently import concurrently
from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound
from mcp_memory.limits import clean_content, clean_kind, clean_metadata, clean_tags
from mcp_memory.projects import stored_project
from mcp_memory.services.app import App
from mcp_memory.services.memories.conflicts import Conflict, conflicting_memories
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
from mcp_memory.storage.filters import MemoryFilter, build_filter
from mcp_memory.storage.history import record_version
from mcp_memory.storage.keyword_rows import KEYWORD_ROWS, sync_keyword_index, sync_keyword_index_many
from mcp_memory.storage.memories import (
    bump_version,
    insert_memory,
    known_ids,
    live_id_by_hash,
    live_row_by_hash,
    mark_superseded,
    rows_by_id,
    set_tags,
    tags_by_id,
)
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.vectors import VectorIndexInfo, write_vectors
from mcp_memory.timeparse import parse_time

__all__ = [
    "KEYWORD_ROWS",
    "MAX_SUPERSEDES",
    "GetResult",
    "Memory",
    "MemoryVersion",
    "PreparedMemory",
    "StoreResult",
    "clean_and_redact",
    "clean_supersedes",
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
    "supersede",
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
    #: Stored memories whose fact this one changes (the same subject, another value).
    conflicts: tuple[Conflict, ...] = ()
    #: The older memories this one retired (`supersedes`).
    superseded: tuple[str, ...] = ()


#: How many older memories one new memory may retire.
MAX_SUPERSEDES = 50


def clean_supersedes(ids: Any) -> tuple[int, ...]:
    """The row ids of `supersedes` (duplicates dropped); InvalidInput for anything but a list of
    memory ids."""
    if ids is None:
        return ()
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise InvalidInput("supersedes must be a list of memory ids such as ['m_12'].")
    if len(ids) > MAX_SUPERSEDES:
        raise LimitExceeded(f"supersedes names {len(ids)} memories; at most {MAX_SUPERSEDES} per memory.")
    rowids: list[int] = []
    for value in ids:
        rowid = parse_id(value) if isinstance(value, str) else None
        if rowid is None:
            raise InvalidInput(
                f"supersedes: {value!r} is not a memory id; ids look like 'm_12' (memory_search and "
                "the conflicts of a store return them)."
            )
        rowids.append(rowid)
    return tuple(dict.fromkeys(rowids))


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
    await bump_version(conn, row["id"], now)
    await sync_keyword_index(conn, row["id"])


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
    #: Who may read it on a shared database ('team' or 'private'); the SQLite file ignores it.
    visibility: str = "team"
    #: The row ids of the older memories it retires.
    supersedes: tuple[int, ...] = ()


VISIBILITIES = ("team", "private")


def clean_visibility(value: str | None, default: str) -> str:
    """'team' or 'private' (`default` when None); InvalidInput for anything else."""
    if value is None:
        return default
    if value not in VISIBILITIES:
        raise InvalidInput(
            f"visibility {value!r} is not valid; use 'team' (every member of a shared database) or "
            "'private' (you alone)."
        )
    return value


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
    visibility: str | None = None,
    supersedes: Sequence[str] | None = None,
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
        visibility=clean_visibility(visibility, app.settings.visibility),
        supersedes=clean_supersedes(supersedes),
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
        row = await live_row_by_hash(conn, item.project, item.digest, item.visibility)
        if row is not None:
            embedded = bool(row["embedded"]) or int(row["id"]) in {v[0] for v in vectors}
            result = await _merge_into(conn, row, item, embedded, now)
        else:
            rowid = await _insert(conn, item, now)
            created.append(rowid)
            embedded = vector is not None and info is not None
            if embedded:
                vectors.append((rowid, vector, item.project, item.kind, item.created_at))  # type: ignore[arg-type]
            result = StoreResult(
                format_id(rowid), "created", None, item.redacted, embedded, item.project or None
            )
        if item.supersedes:
            retired = await supersede(conn, item.supersedes, int(parse_id(result.id) or 0), now)
            result = dataclasses.replace(result, superseded=retired)
        results.append(result)
    await sync_keyword_index_many(conn, created)
    if vectors and info is not None:
        await write_vectors(conn, info, vectors)
    return results


async def supersede(conn: Transaction, older: Sequence[int], newer: int, now: float) -> tuple[str, ...]:
    """Retire the memories `older` in favour of `newer` (each keeps its history: the state before is
    a version, and `memory_revert` brings it back); their ids. NotFound when one is not a live
    memory this member may read, InvalidInput when one is `newer` itself: raised inside the write's
    transaction, so nothing of the store is kept."""
    rows = await rows_by_id(conn, older)
    live = await known_ids(conn, list(rows))
    missing = [format_id(r) for r in older if r not in live]
    if missing:
        raise NotFound(
            f"supersedes: no memory {', '.join(missing)} (deleted, or never stored); nothing was stored. "
            "Store it again without those ids, or with the ids memory_search returns."
        )
    if newer in rows:
        raise InvalidInput(
            f"supersedes names {format_id(newer)}, the memory this content is (identical content is "
            "stored once); nothing was stored. Supersede the older memories only."
        )
    tags = await tags_by_id(conn, older)
    for rowid in older:
        row = rows[rowid]
        if row["superseded_by"] is not None and int(row["superseded_by"]) == newer:
            continue
        await record_version(conn, row, tags[rowid], "supersede", ["superseded_by"], now)
        await mark_superseded(conn, rowid, newer, now)
    return tuple(format_id(r) for r in older)


async def _merge_into(
    conn: Transaction, row: Any, item: PreparedMemory, embedded: bool, now: float
) -> StoreResult:
    """Add `item`'s tags to the identical memory `row` already stored; its 'duplicate' result. A
    memory a newer one had retired is current again when its content is stored anew (the fact
    changed back): it is restored, as a new version."""
    rowid = int(row["id"])
    old_tags = (await tags_by_id(conn, [rowid]))[rowid]
    merged = clean_tags([*old_tags, *item.tags])
    if merged != old_tags:
        await retag(conn, row, old_tags, merged, "merge", now)
    if row["superseded_by"] is not None:
        current = (await rows_by_id(conn, [rowid]))[rowid]
        await record_version(conn, current, merged, "restate", ["restored"], now)
        await mark_superseded(conn, rowid, None, now)
    mid = format_id(int(row["id"]))
    return StoreResult(mid, "duplicate", mid, item.redacted, embedded, str(row["project"]) or None)


async def _insert(conn: Transaction, item: PreparedMemory, now: float) -> int:
    """Insert a new memory with its tags (its indexes are the caller's); its row id."""
    rowid = await insert_memory(
        conn,
        content=item.content,
        content_hash=item.digest,
        kind=item.kind,
        importance=item.importance,
        metadata=item.metadata,
        project=item.project,
        pinned=item.pinned,
        created_at=item.created_at,
        updated_at=now,
        expires_at=item.expires_at,
        visibility=item.visibility,
    )
    await set_tags(conn, rowid, item.tags, new=True)
    return rowid


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
    visibility: str | None = None,
    supersedes: Sequence[str] | None = None,
) -> StoreResult:
    """Store one memory. Identical content already stored in the same project is not stored twice:
    the existing id comes back with status 'duplicate' and the new tags are added to it. On a shared
    database `visibility` says who may read it ('team', the default unless the settings say
    otherwise, or 'private'); the database's row policies hold it to that. `supersedes` names older
    memories the new one replaces: they are retired in the same transaction (see `supersede`)."""
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
        visibility=visibility,
        supersedes=supersedes,
        now=now,
    )
    app.require_model_match()
    existing: int | None = None
    vectors: list[bytes] | None = None

    async def duplicate() -> None:
        nonlocal existing
        existing = await live_id_by_hash(app.db, item.project, item.digest, item.visibility)

    async def embed() -> None:
        nonlocal vectors
        vectors = await app.embed_for_write([item.content])

    # The duplicate check runs while the text embeds (a repeat is rare; its vector is then unused).
    # The write below checks again inside its transaction, which decides.
    await concurrently(duplicate, embed)
    if existing is not None:
        vectors = None
    info = app.vector_info
    written: StoreResult | None = None
    conflicts: tuple[Conflict, ...] = ()

    async def write() -> None:
        nonlocal written
        written = await app.db.write(
            lambda conn: write_prepared(conn, item, vectors[0] if vectors else None, info, now)
        )

    async def compare() -> None:
        nonlocal conflicts
        if vectors:  # the memories it contradicts, read while it is written (it is not among them)
            conflicts = await conflicting_memories(app, item.content, vectors[0], item.project)

    await concurrently(write, compare)
    assert written is not None
    if not written.embedded:
        app.wake_worker()
    conflicts = open_conflicts(conflicts, written)
    return dataclasses.replace(written, conflicts=conflicts) if conflicts else written


def open_conflicts(conflicts: Sequence[Conflict], written: StoreResult) -> tuple[Conflict, ...]:
    """Of the memories a new one contradicts, those it left in place: not itself, not one it
    supersedes."""
    return tuple(c for c in conflicts if c.id not in written.superseded and c.id != written.id)


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
