"""Batch operations: store many memories in one transaction with batched embedding, tag or delete many
by ids or by filter."""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import InvalidInput, LimitExceeded, MemoryServerError
from mcp_memory.limits import MAX_BATCH, clean_tags
from mcp_memory.services.app import App
from mcp_memory.services.memories.changes import delete_memories
from mcp_memory.services.memories.conflicts import Conflict, conflicting_memories
from mcp_memory.services.memories.selection import select_memories
from mcp_memory.services.memories.store import (
    PreparedMemory,
    StoreResult,
    format_id,
    open_conflicts,
    parse_id,
    prepare_memory,
    redact_tags,
    retag,
    tags_by_id,
    write_prepared_many,
)
from mcp_memory.storage.memories import CHUNK, known_ids, rows_by_id
from mcp_memory.storage.query import Transaction

__all__ = [
    "MAX_BATCH",
    "STORE_FIELDS",
    "BatchItemResult",
    "BulkResult",
    "batch_delete",
    "batch_store",
    "batch_tag",
]

STORE_FIELDS = {
    "content",
    "tags",
    "kind",
    "importance",
    "metadata",
    "project",
    "pinned",
    "expires_at",
    "created_at",
    "visibility",
    "supersedes",
}


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    index: int
    ok: bool
    id: str | None
    status: str | None
    error: str | None
    redacted: int = 0
    superseded: tuple[str, ...] = ()
    #: Stored memories whose fact this one states another value for (batches of up to CHECKED).
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class BulkResult:
    dry_run: bool
    count: int
    sample: tuple[str, ...]
    missing: tuple[str, ...]


def _prepare(app: App, item: Any, now: float) -> PreparedMemory:
    if not isinstance(item, Mapping):
        raise InvalidInput("each item must be an object with at least `content`.")
    unknown = sorted(set(item) - STORE_FIELDS)
    if unknown:
        raise InvalidInput(_unknown_fields(unknown))
    if not isinstance(item.get("content"), str):
        raise InvalidInput("`content` is missing or not a string.")
    importance = item.get("importance")
    if importance is not None and not isinstance(importance, int | float):
        raise InvalidInput("importance must be a number from 0 to 1.")
    return prepare_memory(app, item["content"], now=now, **{k: v for k, v in item.items() if k != "content"})


def _unknown_fields(names: list[str]) -> str:
    """For each name, the field it probably meant (difflib); the fields an item takes when one has
    no close match."""
    fields = sorted(STORE_FIELDS)
    reasons = []
    unmatched = False
    for name in names:
        close = difflib.get_close_matches(name.lower(), fields, n=1)
        reasons.append(f"unknown field {name!r}" + (f"; did you mean {close[0]!r}?" if close else "."))
        unmatched = unmatched or not close
    if unmatched:
        reasons.append(f"Items take memory_store's arguments: {', '.join(fields)}.")
    return " ".join(reasons)


async def batch_store(app: App, items: Sequence[Any]) -> list[BatchItemResult]:
    """Store many memories: each item is validated on its own (a bad one is reported, the others are
    stored), new texts are embedded together, and everything is written in one transaction."""
    if not items:
        raise InvalidInput("items is empty; pass a list of memories, each like memory_store's arguments.")
    if len(items) > MAX_BATCH:
        raise LimitExceeded(f"{len(items)} items; at most {MAX_BATCH} per call. Split the batch.")
    app.require_model_match()
    now = time.time()
    prepared: list[PreparedMemory | str] = []
    for item in items:
        try:
            prepared.append(_prepare(app, item, now))
        except MemoryServerError as exc:
            prepared.append(str(exc))
    prepared = await _check_superseded(app, prepared)
    valid = [p for p in prepared if isinstance(p, PreparedMemory)]
    texts = list(dict.fromkeys(p.content for p in valid))
    vectors = await app.embed_for_write(texts) if texts else None
    by_text = dict(zip(texts, vectors, strict=True)) if vectors else {}
    info = app.vector_info

    async def work(conn: Transaction) -> list[StoreResult | str]:
        stored = iter(
            await write_prepared_many(conn, [(p, by_text.get(p.content)) for p in valid], info, now)
        )
        return [p if isinstance(p, str) else next(stored) for p in prepared]

    written: list[StoreResult | str] = (
        await app.db.write(work) if valid else [p for p in prepared if isinstance(p, str)]
    )
    conflicts = await _batch_conflicts(app, prepared, written, by_text) if len(items) <= CHECKED else {}
    results = [
        BatchItemResult(i, False, None, None, w)
        if isinstance(w, str)
        else BatchItemResult(i, True, w.id, w.status, None, w.redacted, w.superseded, conflicts.get(i, ()))
        for i, w in enumerate(written)
    ]
    if any(isinstance(w, StoreResult) and not w.embedded for w in written):
        app.wake_worker()
    return results


#: Batches of up to this many items are checked for changed facts as memory_store is (one nearest-
#: neighbour read per new memory); a larger one, an import's, is not.
CHECKED = 100


async def _batch_conflicts(
    app: App,
    prepared: Sequence[PreparedMemory | str],
    written: Sequence[StoreResult | str],
    by_text: Mapping[str, bytes],
) -> dict[int, tuple[Conflict, ...]]:
    """For each newly created item, the stored memories whose fact it changes: memory_store's check,
    after the write (an earlier item of the same batch counts; the item itself, and what it
    supersedes, do not)."""
    found: dict[int, tuple[Conflict, ...]] = {}
    for index, (item, result) in enumerate(zip(prepared, written, strict=True)):
        if not isinstance(item, PreparedMemory) or not isinstance(result, StoreResult):
            continue
        vector = by_text.get(item.content)
        if result.status != "created" or vector is None:
            continue
        own = parse_id(result.id)
        listed = open_conflicts(
            await conflicting_memories(app, item.content, vector, item.project, exclude=own), result
        )
        if listed:
            found[index] = listed
    return found


async def _check_superseded(app: App, prepared: list[PreparedMemory | str]) -> list[PreparedMemory | str]:
    """Each item whose `supersedes` names a memory that is not live becomes that item's error
    before anything is written (the write checks again, in its transaction)."""
    named = sorted({r for p in prepared if isinstance(p, PreparedMemory) for r in p.supersedes})
    if not named:
        return prepared
    live: set[int] = set()
    for start in range(0, len(named), CHUNK):
        live |= await known_ids(app.db, named[start : start + CHUNK])
    checked: list[PreparedMemory | str] = []
    for p in prepared:
        gone = [format_id(r) for r in p.supersedes if r not in live] if isinstance(p, PreparedMemory) else []
        checked.append(
            f"supersedes: no memory {', '.join(gone)} (deleted, or never stored); this item was not stored."
            if gone
            else p
        )
    return checked


async def batch_tag(
    app: App,
    *,
    ids: Sequence[str] | None = None,
    flt: Mapping[str, Any] | None = None,
    add: Sequence[str] | None = None,
    remove: Sequence[str] | None = None,
) -> BulkResult:
    """Add and remove tags on memories chosen by ids or filter; each changed memory gets a new version."""
    to_add = clean_tags(redact_tags(app, add)[0])
    to_remove = set(clean_tags(remove))
    if not to_add and not to_remove:
        raise InvalidInput("nothing to do; pass tags in `add` and/or `remove`.")
    chosen, missing = await select_memories(app, ids=ids, flt=flt)
    now = time.time()

    async def work(conn: Transaction) -> list[int]:
        changed: list[int] = []
        for start in range(0, len(chosen), CHUNK):
            part = chosen[start : start + CHUNK]
            rows = await rows_by_id(conn, part)
            tags = await tags_by_id(conn, part)
            for rowid in part:
                old = tags.get(rowid, [])
                new = clean_tags([t for t in [*old, *to_add] if t not in to_remove])
                if new == old or rowid not in rows:
                    continue
                await retag(conn, rows[rowid], old, new, "update", now)
                changed.append(rowid)
        return changed

    changed = await app.db.write(work)
    return BulkResult(False, len(changed), tuple(format_id(r) for r in changed[:10]), tuple(missing))


async def batch_delete(
    app: App,
    *,
    ids: Sequence[str] | None = None,
    flt: Mapping[str, Any] | None = None,
    dry_run: bool = True,
) -> BulkResult:
    """Delete memories chosen by ids or filter (recoverable, like memory_delete). With dry_run (the
    default) only report how many and which would be deleted."""
    chosen, missing = await select_memories(app, ids=ids, flt=flt)
    sample = tuple(format_id(r) for r in chosen[:10])
    if dry_run or not chosen:
        return BulkResult(dry_run, len(chosen), sample, tuple(missing))
    deleted = 0
    for start in range(0, len(chosen), 1000):
        result = await delete_memories(app, [format_id(r) for r in chosen[start : start + 1000]])
        deleted += result.deleted
    return BulkResult(False, deleted, sample, tuple(missing))
